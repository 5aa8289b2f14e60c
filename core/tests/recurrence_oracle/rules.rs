//! Random RRULEs from the RFC 5545 grammar, from a small deterministic generator.

/// Small deterministic generator (xorshift64*) for random RRULEs.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub(crate) fn list(
        &mut self,
        max_len: u64,
        mut item: impl FnMut(&mut Rng) -> String,
    ) -> String {
        let n = 1 + self.below(max_len);
        let mut v: Vec<String> = (0..n).map(|_| item(self)).collect();
        v.dedup();
        v.join(",")
    }
}

pub(crate) const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// One random rule from the RFC 5545 grammar (every BYxxx part, INTERVAL, COUNT/UNTIL, WKST),
/// kept to combinations that always match somewhere so neither side spins for nothing.
pub(crate) fn random_rule(r: &mut Rng) -> String {
    let freqs = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY"];
    let freq = freqs[r.below(freqs.len() as u64) as usize];
    let mut parts = vec![format!("FREQ={freq}")];
    if r.chance(40) {
        parts.push(format!("INTERVAL={}", 1 + r.below(3)));
    }
    let sub_daily = matches!(freq, "HOURLY" | "MINUTELY");
    match freq {
        "YEARLY" => match r.below(5) {
            0 => parts.push(format!(
                "BYMONTH={}",
                r.list(3, |r| (1 + r.below(12)).to_string())
            )),
            1 => parts.push(format!(
                "BYYEARDAY={}",
                r.list(3, |r| {
                    let d = 1 + r.below(365) as i64;
                    (if r.chance(30) { -d } else { d }).to_string()
                })
            )),
            2 => {
                parts.push(format!(
                    "BYWEEKNO={}",
                    r.list(2, |r| {
                        let w = 1 + r.below(52) as i64;
                        (if r.chance(30) { -w } else { w }).to_string()
                    })
                ));
                parts.push(format!("BYDAY={}", DAYS[r.below(7) as usize]));
            }
            3 => {
                parts.push(format!("BYMONTH={}", 1 + r.below(12)));
                let n = 1 + r.below(4) as i64;
                parts.push(format!(
                    "BYDAY={}{}",
                    if r.chance(40) { -n } else { n },
                    DAYS[r.below(7) as usize]
                ));
            }
            _ => {}
        },
        "MONTHLY" => match r.below(5) {
            0 => parts.push(format!(
                "BYMONTHDAY={}",
                r.list(3, |r| {
                    let d = 1 + r.below(28) as i64;
                    (if r.chance(30) { -d } else { d }).to_string()
                })
            )),
            1 => parts.push(format!(
                "BYDAY={}",
                r.list(2, |r| {
                    let n = 1 + r.below(4) as i64;
                    format!(
                        "{}{}",
                        if r.chance(40) { -n } else { n },
                        DAYS[r.below(7) as usize]
                    )
                })
            )),
            2 => {
                parts.push(format!(
                    "BYDAY={}",
                    r.list(5, |r| DAYS[r.below(7) as usize].to_string())
                ));
                let p = 1 + r.below(3) as i64;
                parts.push(format!("BYSETPOS={}", if r.chance(50) { -p } else { p }));
            }
            3 => {
                parts.push(format!("BYDAY={}", DAYS[r.below(7) as usize]));
                parts.push(format!(
                    "BYMONTHDAY={}",
                    r.list(7, |r| (1 + r.below(28)).to_string())
                ));
            }
            _ => {}
        },
        "WEEKLY" => {
            if r.chance(70) {
                parts.push(format!(
                    "BYDAY={}",
                    r.list(3, |r| DAYS[r.below(7) as usize].to_string())
                ));
            }
            if r.chance(30) {
                parts.push(format!("WKST={}", DAYS[r.below(7) as usize]));
            }
            if r.chance(20) {
                parts.push(format!(
                    "BYMONTH={}",
                    r.list(6, |r| (1 + r.below(12)).to_string())
                ));
            }
        }
        "DAILY" => {
            if r.chance(40) {
                parts.push(format!(
                    "BYDAY={}",
                    r.list(3, |r| DAYS[r.below(7) as usize].to_string())
                ));
            }
            if r.chance(30) {
                parts.push(format!(
                    "BYHOUR={}",
                    r.list(3, |r| (6 + r.below(14)).to_string())
                ));
            }
            if r.chance(20) {
                parts.push(format!(
                    "BYMINUTE={}",
                    r.list(2, |r| (r.below(4) * 15).to_string())
                ));
            }
        }
        _ => {
            if r.chance(40) {
                parts.push(format!(
                    "BYDAY={}",
                    r.list(4, |r| DAYS[r.below(7) as usize].to_string())
                ));
            }
            if freq == "MINUTELY" && r.chance(40) {
                parts.push(format!("BYHOUR={}", r.list(3, |r| r.below(24).to_string())));
            }
        }
    }
    if r.chance(70) || sub_daily {
        parts.push(format!("COUNT={}", 1 + r.below(25)));
    } else {
        parts.push(format!(
            "UNTIL=20{:02}{:02}{:02}T120000Z",
            26 + r.below(3),
            1 + r.below(12),
            1 + r.below(28)
        ));
    }
    parts.join(";")
}
