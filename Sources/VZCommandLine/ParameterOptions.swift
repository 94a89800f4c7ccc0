import VZConfig

/// The parameter table's options as getopt specs: every setting takes a
/// value (`--hostname H`, `-p 100:120`).
extension ParameterTable {
    public static func optionSpecs(for command: ConfigParameter.Commands = .both) -> [OptionSpec] {
        options(for: command).map { OptionSpec($0.long, short: $0.short, .required, canonical: $0.canonical) }
    }
}
