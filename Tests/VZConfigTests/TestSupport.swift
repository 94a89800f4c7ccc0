import Testing
import VZConfig

let ct101 = ContainerID(value: 101)!

/// The exit code `body` fails with; nil when it succeeds.
func exitCode(_ body: () throws -> Void) -> ExitCode? {
    do {
        try body()
        return nil
    } catch let e as VZError {
        return e.code
    } catch {
        Issue.record("not a VZError: \(error)")
        return nil
    }
}
