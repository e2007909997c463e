// swift-tools-version:5.7
// The Swift module of wampe2e. `make test-mobile` generates generated/WampE2E/WampE2E.swift
// and generated/WampE2EFFI/ (header + module.modulemap) from the Rust library and builds
// target/debug/libwampe2e_mobile, which this package links.
import PackageDescription

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
                .unsafeFlags(["-L../../target/debug", "-Xlinker", "-rpath", "-Xlinker", "../../target/debug"]),
            ]
        ),
        .testTarget(name: "WampE2ETests", dependencies: ["WampE2E"], path: "Tests/WampE2ETests"),
    ]
)
