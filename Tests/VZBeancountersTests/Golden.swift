import Glibc
import Testing

/// Golden files live next to this source file, in Golden/. Set
/// VZUBC_UPDATE_GOLDEN=1 to rewrite them from the current output (then
/// review the diff: the table ones are vzubc 4.x's layout).
enum Golden {
    static let directory: String = {
        let file = #filePath
        return String(file[..<file.lastIndex(of: "/")!]) + "/Golden"
    }()

    static func read(_ name: String) -> String? {
        guard let f = fopen(directory + "/" + name, "r") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ name: String, _ text: String) {
        guard let f = fopen(directory + "/" + name, "w") else { return }
        _ = text.utf8.withContiguousStorageIfAvailable { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }

    static var updating: Bool { getenv("VZUBC_UPDATE_GOLDEN") != nil }

    /// Compares with the golden file (or rewrites it in update mode).
    static func check(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if updating {
            write(name, actual)
            return
        }
        guard let expected = read(name) else {
            Issue.record("missing golden file Golden/\(name)", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            Issue.record("Golden/\(name) differs:\n--- expected\n\(expected)--- actual\n\(actual)", sourceLocation: sourceLocation)
        }
    }
}
