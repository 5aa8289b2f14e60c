//! Running the steps for both clients, medians, and the tables.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use libdav::HttpClient;
use tower_http::auth::AddAuthorization;

use crate::changes::change_events;
use crate::counting::{CountedService, NOT_APPLICABLE, Sample, set_label};
use crate::davkit_client::Davkit;
use crate::libdav_client::{Libdav, Plain, hyper_client};
use crate::shaper::{Shaper, traffic};
use crate::{PHASES, STEPS, Settings, Target};

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Who {
    Davkit,
    Libdav,
}

pub(crate) struct Results {
    /// [client][step] -> samples
    samples: [[Vec<Sample>; STEPS.len()]; 2],
}

impl Results {
    pub(crate) fn new() -> Results {
        Results {
            samples: Default::default(),
        }
    }
}

/// Where each client connects: the server itself, or each through its own shaper (so the
/// shaper's byte totals are per client; `extra` carries davkit's two extra rows).
pub(crate) struct Links {
    davkit: Target,
    libdav: Target,
    extra: Target,
}

pub(crate) async fn run_server<C, F>(
    direct: &Target,
    links: &Links,
    link: &str,
    make_http: F,
    s: &Settings,
) -> Results
where
    C: HttpClient,
    F: Fn(Arc<AtomicUsize>) -> C,
{
    let mut results = Results::new();
    for run in 0..s.warmup + s.runs {
        let keep = run >= s.warmup;
        let order = if run % 2 == 0 {
            [Who::Davkit, Who::Libdav]
        } else {
            [Who::Libdav, Who::Davkit]
        };
        let mut davkit = Davkit::new(&links.davkit, s);
        let mut extra = Davkit::new(&links.extra, s);
        let libdav_count = Arc::new(AtomicUsize::new(0));
        let mut libdav = Libdav::new(&links.libdav, make_http(libdav_count.clone()), libdav_count);
        let tag = if keep {
            format!("run {}", run - s.warmup + 1)
        } else {
            "warm-up".to_owned()
        };
        for (phase, steps) in PHASES.iter().enumerate() {
            let steps: Vec<usize> = steps
                .iter()
                .copied()
                .filter(|step| s.steps.contains(step))
                .collect();
            if steps.is_empty() {
                continue;
            }
            if phase == 1
                && let Err(e) = change_events(direct, s).await
            {
                eprintln!("network: {}: changing events failed: {e}", direct.name);
            }
            for who in order {
                for &step in &steps {
                    // Let the server finish what the last step left it (Xandikos and Radicale
                    // are Python: a large answer is followed by collection work) off the clock.
                    tokio::time::sleep(std::time::Duration::from_millis(s.settle_ms)).await;
                    let name = if who == Who::Davkit {
                        "davkit"
                    } else {
                        "libdav"
                    };
                    set_label(format!(
                        "{} {link} {tag} {name} {}",
                        direct.name, STEPS[step]
                    ));
                    let sample = match who {
                        Who::Davkit if step >= 4 => {
                            if step == 4 {
                                // Off the clock: the extra client's connections, as the main
                                // client's initial sync has them from discovery.
                                set_label(format!(
                                    "{} {link} {tag} davkit extra warm",
                                    direct.name
                                ));
                                let _ = extra.step(0, &links.extra, s).await;
                                tokio::time::sleep(std::time::Duration::from_millis(s.settle_ms))
                                    .await;
                                set_label(format!(
                                    "{} {link} {tag} {name} {}",
                                    direct.name, STEPS[step]
                                ));
                            }
                            extra.step(step, &links.extra, s).await
                        }
                        Who::Davkit => davkit.step(step, &links.davkit, s).await,
                        Who::Libdav => libdav.step(step, &links.libdav, s).await,
                    };
                    if let Err(e) = &sample
                        && e != NOT_APPLICABLE
                    {
                        eprintln!(
                            "network: {} {link} {tag}: {name} {}: {e}",
                            direct.name, STEPS[step]
                        );
                    }
                    if keep {
                        results.samples[who as usize][step].push(sample);
                    }
                }
            }
        }
    }
    results
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// "12.3" and "4" (or "4-5" when runs differ), or "error" for a step that failed in a run.
pub(crate) fn cells(samples: &[Sample]) -> (String, String) {
    if samples
        .iter()
        .any(|r| r.as_ref().is_err_and(|e| e == NOT_APPLICABLE))
    {
        return ("–".into(), "–".into());
    }
    if samples.is_empty() || samples.iter().any(Result::is_err) {
        return ("error".into(), "error".into());
    }
    let mut ms: Vec<f64> = samples.iter().map(|r| r.as_ref().unwrap().0).collect();
    let counts: Vec<usize> = samples.iter().map(|r| r.as_ref().unwrap().1).collect();
    let (lo, hi) = (
        counts.iter().min().copied().unwrap_or(0),
        counts.iter().max().copied().unwrap_or(0),
    );
    let requests = if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    };
    (format!("{:.1}", median(&mut ms)), requests)
}

pub(crate) fn print_table(title: &str, results: &Results, notes: &[String]) {
    println!("\n### {title}\n");
    println!("| step | davkit ms | davkit requests | libdav ms | libdav requests |");
    println!("|---|---:|---:|---:|---:|");
    for (step, name) in STEPS.iter().enumerate() {
        if results.samples.iter().all(|client| client[step].is_empty()) {
            continue; // not run (DAVKIT_BENCH_STEPS)
        }
        let (dm, dr) = cells(&results.samples[Who::Davkit as usize][step]);
        let (lm, lr) = cells(&results.samples[Who::Libdav as usize][step]);
        println!("| {name} | {dm} | {dr} | {lm} | {lr} |");
    }
    for note in notes {
        println!("\n{note}");
    }
}

pub(crate) async fn bench_server(target: &Target, link: &str, s: &Settings) {
    let shaped = link == "shaped";
    let (links, shapers) = if shaped {
        let a = Shaper::start(&target.url, &s.shaper_args);
        let b = Shaper::start(&target.url, &s.shaper_args);
        let c = Shaper::start(&target.url, &s.shaper_args);
        let links = Links {
            davkit: target.with_url(&a.url),
            libdav: target.with_url(&b.url),
            extra: target.with_url(&c.url),
        };
        (links, Some((a, b, c)))
    } else {
        let links = Links {
            davkit: target.clone(),
            libdav: target.clone(),
            extra: target.clone(),
        };
        (links, None)
    };
    let results = match &target.user {
        Some((u, p)) => {
            let (u, p) = (u.clone(), p.clone());
            run_server(
                target,
                &links,
                link,
                move |count| {
                    AddAuthorization::basic(
                        CountedService {
                            inner: hyper_client(),
                            count,
                        },
                        &u,
                        &p,
                    )
                },
                s,
            )
            .await
        }
        None => {
            run_server(
                target,
                &links,
                link,
                |count| -> Plain {
                    CountedService {
                        inner: hyper_client(),
                        count,
                    }
                },
                s,
            )
            .await
        }
    };
    let link_text = if shaped {
        if s.shaper_args.is_empty() {
            "shaped link (30 ms round trip, 50 Mbit/s down, 10 Mbit/s up)".to_owned()
        } else {
            format!("shaped link (shaper.py {})", s.shaper_args.join(" "))
        }
    } else {
        "loopback".to_owned()
    };
    let title = format!(
        "{}, {link_text}: {} events, {} changed, median of {}",
        target.name, s.events, s.changes, s.runs
    );
    let mut notes = Vec::new();
    if let Some((a, b, c)) = shapers {
        let runs = s.runs + s.warmup;
        let _ = c.stop();
        notes.push(format!(
            "Through the shaper (the steps run): davkit {}; libdav {}.",
            traffic(&a.stop(), runs),
            traffic(&b.stop(), runs)
        ));
    }
    print_table(&title, &results, &notes);
}
