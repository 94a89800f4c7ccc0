// swift-tools-version: 6.0
import PackageDescription

// Dependencies: none beyond the toolchain and two system libraries.
// - Command lines follow GNU getopt_long exactly as vzctl/vzlist 4.x did
//   (permuted options, `--opt=value`, bundled `-Hoctid`, exit codes 20/21),
//   which swift-argument-parser cannot express, so VZCommandLine does it.
// - libarchive (template extraction) and libcap (capabilities) come from
//   Debian's -dev packages as system-library targets.
let package = Package(
    name: "vzctl",
    products: [
        .executable(name: "vzctl", targets: ["vzctl"]),
        .executable(name: "vzlist", targets: ["vzlist"]),
        .executable(name: "vzextract", targets: ["vzextract"]),
    ],
    targets: [
        .target(name: "CVZShim"),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CLibcap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),

        // Pure policy: config format, keys, values, CTIDs, errors. No syscalls.
        .target(name: "VZConfig"),
        // GNU getopt_long-compatible option parsing shared by the executables. Pure.
        .target(name: "VZCommandLine", dependencies: ["VZConfig"]),
        // vzlist fields, sorting and text/JSON rendering. Pure.
        .target(name: "VZListing", dependencies: ["VZConfig"]),
        // The one layer that owns errno: fds, files, locks, directory walks.
        .target(name: "VZSystem", dependencies: ["VZConfig", "CVZShim"]),
        // Template caches, secure extraction, private areas.
        .target(name: "VZStorage", dependencies: ["VZSystem", "VZConfig", "CVZShim"]),
        // The extraction worker: the only code that links libarchive, run as
        // the `vzextract` helper process by `vzctl create`.
        .target(name: "VZExtract", dependencies: ["VZStorage", "VZSystem", "VZConfig", "CVZShim", "CArchive"]),
        // The node's containers as vzlist sees them: configs, private areas,
        // mounts. Kept apart from VZRuntime so vzlist does not link
        // libarchive and its dependencies (a millisecond of startup each run).
        .target(name: "VZInventory", dependencies: ["VZListing", "VZCgroup", "VZSystem", "VZConfig"]),
        // Operations: create, destroy, set, status, start/stop (the init stage
        // drops capabilities with libcap; the monitor is C, built by the Makefile).
        .target(name: "VZRuntime", dependencies: ["VZStorage", "VZInventory", "VZCgroup", "VZNetwork", "VZSystem", "VZConfig", "CVZShim", "CLibcap"]),

        // Networking: a small rtnetlink/nfnetlink client (links, addresses,
        // routes, proxy neighbours, the nftables source filter) and the
        // switch into a VPS's network namespace. No `ip` processes.
        .target(name: "VZNetwork", dependencies: ["VZSystem", "VZConfig", "CVZShim"]),

        // Cgroups v1, hybrid and v2: layout detection, one VPS's cgroup on
        // every hierarchy, freeze/kill, device allowlist (v1 file / v2 BPF).
        .target(name: "VZCgroup", dependencies: ["VZSystem", "VZConfig"]),

        .executableTarget(name: "vzctl", dependencies: ["VZRuntime", "VZCommandLine"]),
        .executableTarget(name: "vzextract", dependencies: ["VZExtract"]),
        .executableTarget(name: "vzlist", dependencies: ["VZInventory", "VZListing", "VZCommandLine"]),

        .testTarget(name: "VZConfigTests", dependencies: ["VZConfig", "VZCommandLine"]),
        .testTarget(name: "VZListingTests", dependencies: ["VZListing"], resources: [.copy("Golden")]),
        .testTarget(name: "VZSystemTests", dependencies: ["VZSystem"]),
        .testTarget(name: "VZStorageTests", dependencies: ["VZStorage", "CArchive"]),
        .testTarget(name: "VZCgroupTests", dependencies: ["VZCgroup"]),
        .testTarget(name: "VZNetworkTests", dependencies: ["VZNetwork", "VZSystem", "VZConfig"]),
        // Fixtures/*.c are compiled by the tests themselves (gcc -static) and
        // copied into VPS trees; SwiftPM must not build them.
        .testTarget(name: "IntegrationTests", dependencies: ["VZConfig"], exclude: ["Fixtures"]),
    ]
)
