// swift-tools-version: 6.0
import PackageDescription

// Dependencies: none beyond the toolchain and two system libraries.
// - Command lines follow GNU getopt_long exactly as vzctl/vzlist 4.x did
//   (permuted options, `--opt=value`, bundled `-Hoctid`, exit codes 20/21),
//   which swift-argument-parser cannot express, so VZCommandLine does it.
// - libarchive (template extraction) comes from Debian's -dev package as a
//   system-library target; libcap is linked by the C vzmonitor (Makefile),
//   whose init stage drops the VPS's capabilities.
// Release builds of the tools admins and scripts run many times a second
// are fully static: no dynamic loader, no libstdc++/libm to map and
// relocate. A static vzctl starts in 0.5 ms of CPU against 1.4 ms for one
// with only the Swift stdlib static (perf stat, this machine kind), and
// every start, stop and exec runs it. (The binary is not PIE; stack, heap
// and mappings are still randomised.) vzextract stays
// dynamic: libarchive's compressors have no static builds worth carrying.
let staticExecutable: [LinkerSetting] = [.unsafeFlags(["-static-executable"], .when(configuration: .release))]

let package = Package(
    name: "vzctl",
    products: [
        .executable(name: "vzctl", targets: ["vzctl"]),
        .executable(name: "vzlist", targets: ["vzlist"]),
        .executable(name: "vzextract", targets: ["vzextract"]),
        .executable(name: "vzubc", targets: ["vzubc"]),
    ],
    targets: [
        .target(name: "CVZShim"),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),

        // Pure policy: config format, keys, values, CTIDs, errors. No syscalls.
        .target(name: "VZConfig"),
        // GNU getopt_long-compatible option parsing shared by the executables. Pure.
        .target(name: "VZCommandLine", dependencies: ["VZConfig"]),
        // vzlist fields, sorting and text/JSON rendering. Pure.
        .target(name: "VZListing", dependencies: ["VZConfig"]),
        // vzubc's table, the /proc/user_beancounters formats (print and
        // parse), JSON and its command line. Pure.
        .target(name: "VZBeancounters", dependencies: ["VZConfig", "VZCommandLine"]),
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
        .target(name: "VZInventory", dependencies: ["VZListing", "VZBeancounters", "VZCgroup", "VZSystem", "VZConfig"]),
        // Operations: create, destroy, set, status, start/stop (the monitor and
        // the init stage are C, Sources/vzmonitor, built by the Makefile).
        .target(name: "VZRuntime", dependencies: ["VZStorage", "VZInventory", "VZCgroup", "VZNetwork", "VZSystem", "VZConfig", "CVZShim"]),

        // Networking: a small rtnetlink/nfnetlink client (links, addresses,
        // routes, proxy neighbours, the nftables source filter) and the
        // switch into a VPS's network namespace. No `ip` processes.
        .target(name: "VZNetwork", dependencies: ["VZSystem", "VZConfig", "CVZShim"]),

        // Cgroups v1, hybrid and v2: layout detection, one VPS's cgroup on
        // every hierarchy, freeze/kill, device allowlist (v1 file / v2 BPF).
        .target(name: "VZCgroup", dependencies: ["VZSystem", "VZConfig"]),

        .executableTarget(name: "vzctl", dependencies: ["VZRuntime", "VZCommandLine"], linkerSettings: staticExecutable),
        .executableTarget(name: "vzextract", dependencies: ["VZExtract"]),
        .executableTarget(name: "vzlist", dependencies: ["VZInventory", "VZListing", "VZCommandLine"], linkerSettings: staticExecutable),
        .executableTarget(name: "vzubc", dependencies: ["VZInventory", "VZBeancounters", "VZSystem"], linkerSettings: staticExecutable),

        .testTarget(name: "VZConfigTests", dependencies: ["VZConfig", "VZCommandLine"]),
        .testTarget(name: "VZListingTests", dependencies: ["VZListing"], resources: [.copy("Golden")]),
        .testTarget(name: "VZBeancountersTests", dependencies: ["VZBeancounters"], resources: [.copy("Golden")]),
        .testTarget(name: "VZSystemTests", dependencies: ["VZSystem"]),
        .testTarget(name: "VZStorageTests", dependencies: ["VZStorage", "CArchive"]),
        .testTarget(name: "VZCgroupTests", dependencies: ["VZCgroup"]),
        .testTarget(name: "VZNetworkTests", dependencies: ["VZNetwork", "VZSystem", "VZConfig"]),
        // Fixtures/*.c are compiled by the tests themselves (gcc -static) and
        // copied into VPS trees; SwiftPM must not build them.
        .testTarget(name: "IntegrationTests", dependencies: ["VZConfig"], exclude: ["Fixtures"]),
    ]
)
