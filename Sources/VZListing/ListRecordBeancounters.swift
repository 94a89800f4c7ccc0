import VZConfig

extension ListRecord {
    /// `barrier:limit` of a beancounter as vzlist 4.x read CTID.conf: the
    /// canonical key, else its legacy alias; suffixes scaled to the unit;
    /// nil when unset or unreadable. vzlist's columns and vzubc's rows
    /// both come from here.
    public func configured(_ bc: ListedBeancounter) -> ResourceValue? {
        for key in ListConfigKey.beancounter(bc) {
            guard let v = values[key] else { continue }
            return ListValueParser.pair(v, divisor: bc.suffixDivisor).map { ResourceValue(barrier: $0.0, limit: $0.1) }
        }
        return nil
    }
}
