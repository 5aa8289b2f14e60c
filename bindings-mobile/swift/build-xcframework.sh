#!/usr/bin/env bash
# Builds DavKitFFI.xcframework (iOS device, iOS simulator, macOS) for Package.swift.
# Needs a Mac with Xcode and rustup; NOT run on the Linux machines this project is built on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."          # repository root
rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin
# Static libraries without changing crate-type (cdylib + lib stays the default).
for t in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin; do
  cargo rustc --locked -p davkit-mobile --lib --release --target "$t" --crate-type staticlib
done
# Generate the Swift sources and the FFI header + module map from a host build (library mode
# reads the metadata from an unstripped library).
cargo build --locked -p davkit-mobile --release
cargo build --locked -p uniffi-bindgen
OUT=bindings-mobile/build/swift
target/debug/uniffi-bindgen generate --library target/release/libdavkit_mobile.dylib --language swift --out-dir "$OUT" --no-format
S=bindings-mobile/swift
mkdir -p "$S/Sources/DavKit" "$S/Sources/DavKitFFI/include"
# Three generated files in one Swift module (davkit-mobile's, the core's records and the formats'
# records), three headers in one FFI module.
cp "$OUT/DavKit.swift" "$OUT/DavKitCore.swift" "$OUT/DavKitFormats.swift" "$S/Sources/DavKit/"
cp "$OUT/DavKitFFI.h" "$OUT/DavKitCoreFFI.h" "$OUT/DavKitFormatsFFI.h" "$S/Sources/DavKitFFI/include/"
sed -e '/header "DavKitFFI.h"/a\    header "DavKitCoreFFI.h"' -e '/header "DavKitFFI.h"/a\    header "DavKitFormatsFFI.h"' \
  "$OUT/DavKitFFI.modulemap" >"$S/Sources/DavKitFFI/include/module.modulemap"
# One library per platform: fuse the simulator and macOS architectures.
mkdir -p target/universal/ios-sim target/universal/macos
lipo -create target/aarch64-apple-ios-sim/release/libdavkit_mobile.a target/x86_64-apple-ios/release/libdavkit_mobile.a \
  -output target/universal/ios-sim/libdavkit_mobile.a
lipo -create target/aarch64-apple-darwin/release/libdavkit_mobile.a target/x86_64-apple-darwin/release/libdavkit_mobile.a \
  -output target/universal/macos/libdavkit_mobile.a
rm -rf "$S/DavKitFFI.xcframework"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libdavkit_mobile.a -headers "$S/Sources/DavKitFFI/include" \
  -library target/universal/ios-sim/libdavkit_mobile.a -headers "$S/Sources/DavKitFFI/include" \
  -library target/universal/macos/libdavkit_mobile.a -headers "$S/Sources/DavKitFFI/include" \
  -output "$S/DavKitFFI.xcframework"
echo "built $S/DavKitFFI.xcframework; now: cd $S && swift test"
