/// Option parsing with the semantics of glibc's `getopt_long`, which vzctl and
/// vzlist 4.x used and which admin scripts therefore rely on:
/// - options and operands may be mixed (`vzlist 101 -a -o hostname`);
/// - `--opt value`, `--opt=value`, and unambiguous prefixes (`--ipa` for `--ipadd`);
/// - bundled short options with attached values (`-Hoctid`, `-s-bootorder`);
/// - `--` ends option processing.
/// Parsing is pure; the caller decides which exit code an error maps to
/// (vzctl: 21 for unknown `set`/`create` options, 20 elsewhere).
public struct OptionSpec: Sendable, Hashable {
    public enum Argument: Sendable, Hashable { case none, required, optional }
    public let long: String?
    public let short: Character?
    public let argument: Argument
    /// Aliases (`--ip` for `--ipadd`, `--delete` for `--destroy`) share the
    /// canonical name, so a prefix matching only aliases is not ambiguous.
    public let name: String

    public init(_ long: String?, short: Character? = nil, _ argument: Argument = .none, canonical: String? = nil) {
        self.long = long
        self.short = short
        self.argument = argument
        self.name = canonical ?? long ?? String(short!)
    }
}

public struct ParsedOption: Sendable, Hashable {
    public let spec: OptionSpec
    public let value: String?
    /// As typed, for messages (`--ipa`, `-o`).
    public let spelling: String
}

public enum GetoptError: Error, Sendable, Equatable, CustomStringConvertible {
    case unrecognized(String)
    case ambiguous(String, candidates: [String])
    case missingArgument(String)
    case unexpectedArgument(String)

    public var description: String {
        switch self {
        case .unrecognized(let o): return "unrecognized option '\(o)'"
        case .ambiguous(let o, let c):
            return "option '\(o)' is ambiguous; possibilities: " + c.map { "'--\($0)'" }.joined(separator: " ")
        case .missingArgument(let o): return "option '\(o)' requires an argument"
        case .unexpectedArgument(let o): return "option '\(o)' doesn't allow an argument"
        }
    }
}

public struct GetoptLong: Sendable {
    public let specs: [OptionSpec]
    private let byLong: [String: OptionSpec]
    private let byShort: [Character: OptionSpec]

    public init(_ specs: [OptionSpec]) {
        self.specs = specs
        var l: [String: OptionSpec] = [:]
        var s: [Character: OptionSpec] = [:]
        for spec in specs {
            if let n = spec.long { l[n] = spec }
            if let c = spec.short { s[c] = spec }
        }
        byLong = l
        byShort = s
    }

    /// Parses `args` (without the program or command name) into options in
    /// the order given and operands in the order given.
    public func parse(_ args: [String]) throws(GetoptError) -> (options: [ParsedOption], operands: [String]) {
        var options: [ParsedOption] = []
        var operands: [String] = []
        var i = 0
        while i < args.count {
            let arg = args[i]
            i += 1
            if arg == "--" {
                operands.append(contentsOf: args[i...])
                break
            }
            if arg.hasPrefix("--") {
                let body = arg.dropFirst(2)
                let name: Substring
                var inline: String? = nil
                if let eq = body.firstIndex(of: "=") {
                    name = body[..<eq]
                    inline = String(body[body.index(after: eq)...])
                } else {
                    name = body
                }
                let spec = try lookupLong(String(name), spelling: "--" + name)
                let spelling = "--" + (spec.long ?? String(name))
                switch spec.argument {
                case .none:
                    if inline != nil { throw .unexpectedArgument(spelling) }
                    options.append(ParsedOption(spec: spec, value: nil, spelling: spelling))
                case .optional:
                    options.append(ParsedOption(spec: spec, value: inline, spelling: spelling))
                case .required:
                    if let inline {
                        options.append(ParsedOption(spec: spec, value: inline, spelling: spelling))
                    } else if i < args.count {
                        options.append(ParsedOption(spec: spec, value: args[i], spelling: spelling))
                        i += 1
                    } else {
                        throw .missingArgument(spelling)
                    }
                }
                continue
            }
            if arg.hasPrefix("-") && arg.count > 1 {
                var rest = Substring(arg.dropFirst())
                while let c = rest.first {
                    rest = rest.dropFirst()
                    guard let spec = byShort[c] else { throw .unrecognized("-\(c)") }
                    let spelling = "-\(c)"
                    switch spec.argument {
                    case .none:
                        options.append(ParsedOption(spec: spec, value: nil, spelling: spelling))
                    case .optional:
                        options.append(ParsedOption(spec: spec, value: rest.isEmpty ? nil : String(rest), spelling: spelling))
                        rest = ""
                    case .required:
                        if !rest.isEmpty {
                            options.append(ParsedOption(spec: spec, value: String(rest), spelling: spelling))
                            rest = ""
                        } else if i < args.count {
                            options.append(ParsedOption(spec: spec, value: args[i], spelling: spelling))
                            i += 1
                        } else {
                            throw .missingArgument(spelling)
                        }
                    }
                }
                continue
            }
            operands.append(arg)
        }
        return (options, operands)
    }

    private func lookupLong(_ name: String, spelling: String) throws(GetoptError) -> OptionSpec {
        if let exact = byLong[name] { return exact }
        let matches = specs.filter { $0.long?.hasPrefix(name) == true && !name.isEmpty }
        // Several spellings of one option (aliases) are not ambiguous.
        if matches.isEmpty { throw .unrecognized(spelling) }
        if Set(matches.map(\.name)).count == 1 { return matches[0] }
        throw .ambiguous(spelling, candidates: matches.compactMap(\.long).sorted())
    }
}
