import VZBeancounters
import VZConfig
import VZListing

/// vzubc's containers: the running VPSes of the node, their configured
/// barrier:limit as vzlist reads them and the kernel's numbers through
/// `ContainerAccounting`.
extension ContainerInventory: UBCSource {
    public func beancounterBlocks(only: Set<ContainerID>?) throws(VZError) -> [UBCBlock] {
        var keys: Set<String> = ["VE_PRIVATE", "VE_ROOT"]
        for bc in ListedBeancounter.allCases { keys.formUnion(bc.configKeys) }
        let details = ListDetails(status: false, layout: false, names: false, configKeys: keys, beancounters: .everything)
        return try records(includeConfigured: false, only: only, details: details).compactMap { r in
            guard r.status == .running else { return nil }
            var configured: [Beancounter: ResourceValue] = [:]
            var readings: [Beancounter: BeancounterReading] = [:]
            for listed in ListedBeancounter.allCases {
                let bc = listed.beancounter
                configured[bc] = r.configured(listed)
                readings[bc] = r.runtime?.beancounters[listed]
            }
            return UBCBlock(ctid: r.ctid, configured: configured, readings: readings)
        }
    }
}
