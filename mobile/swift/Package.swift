// swift-tools-version:5.7
// The Swift module of wampe2e. `make test-mobile` generates generated/WampE2E/WampE2E.swift
// and generated/WampE2EFFI/ (header + module.modulemap) from the Rust library, builds
// target/debug/libwampe2e_mobile.so, which this package links, and runs `swift test`
// (run-tests.sh: the toolchain on the PATH, or a Debian trixie chroot).
import PackageDescription

// Where libwampe2e_mobile is: $WAMPE2E_LIBDIR, else the workspace's target/debug. An
// absolute path, so the rpath holds whatever directory the tests run from.
let libdir = Context.environment["WAMPE2E_LIBDIR"].flatMap { $0.isEmpty ? nil : $0 }
    ?? Context.packageDirectory + "/../../target/debug"

let package = Package(
    name: "WampE2E",
    products: [.library(name: "WampE2E", targets: ["WampE2E"])],
    targets: [
        .systemLibrary(name: "WampE2EFFI", path: "generated/WampE2EFFI"),
        .target(
            name: "WampE2E",
            dependencies: ["WampE2EFFI"],
            path: "generated/WampE2E",
            linkerSettings: [
                .linkedLibrary("wampe2e_mobile"),
                .unsafeFlags(["-L" + libdir, "-Xlinker", "-rpath", "-Xlinker", libdir]),
            ]
        ),
        .testTarget(name: "WampE2ETests", dependencies: ["WampE2E"], path: "Tests/WampE2ETests"),
    ]
)
