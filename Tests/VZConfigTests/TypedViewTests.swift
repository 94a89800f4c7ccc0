import Testing
import VZConfig

private let vzConf = """
## Global parameters
VIRTUOZZO=yes
LOCKDIR=/var/lib/vz/lock
DUMPDIR=""
VE0CPUUNITS=1000
LOGGING=no
LOG_LEVEL=-1
VERBOSE=2
DISK_QUOTA=no
TEMPLATE=/srv/vz/template
VE_ROOT=/vz/root/$VEID
VE_PRIVATE=/vz/private/$VEID
CONFIGFILE="vswap-256m"
DEF_OSTEMPLATE="debian-12-x86_64-minimal"
VE_LAYOUT=simfs
NAMESERVER="inherit"
STOP_TIMEOUT=0
ONBOOT="no"

"""

/// ve-vswap-256m sample content plus what create and set add.
private let ctConf = """
PHYSPAGES="0:256M"
SWAPPAGES="0:512M"
DISKSPACE="2G:2.2G"
DISKINODES="131072:144179"
QUOTATIME="0"
CPUUNITS="1000"
NETFILTER="stateless"
VE_ROOT="/vz/root/$VEID"
VE_PRIVATE="/data/private/$VEID"
OSTEMPLATE="debian-12-x86_64-minimal"
ORIGIN_SAMPLE="vswap-256m"
HOSTNAME="ct101.example.com"
IP_ADDRESS="10.0.0.101 2001:db8::101/64"
NAMESERVER="8.8.8.8 8.8.4.4"
NAME="web1"
DESCRIPTION="front end"
ONBOOT="yes"
BOOTORDER="10"
DCACHE="3409920:3624960"
KMEMSIZE="not a number"
CPUMASK="0-1"
CAPABILITY="NET_ADMIN:on"
NETIF="ifname=eth0,bridge=br0"
STOP_TIMEOUT="45"

"""

@Suite struct TypedViewTests {
    let ct = ContainerConfig(ctid: ContainerID(value: 101)!, global: ConfigFile(text: vzConf), container: ConfigFile(text: ctConf))

    @Test func identityAndPaths() {
        #expect(ct.hostname == "ct101.example.com")
        #expect(ct.name == "web1")
        #expect(ct.description == "front end")
        #expect(ct.ostemplate == "debian-12-x86_64-minimal")
        #expect(ct.originSample == "vswap-256m")
        #expect(ct.veRoot == "/vz/root/101")
        #expect(ct.vePrivate == "/data/private/101")
        #expect(ct.vePrivateTemplate == "/data/private/$VEID")
        #expect(ct.layout == "simfs")
    }

    @Test func containerOverridesGlobal() {
        #expect(ct.onboot == true)
        #expect(ct.bootorder == 10)
        #expect(ct.disabled == false)
        #expect(ct.nameservers == ["8.8.8.8", "8.8.4.4"])
        #expect(ct.stopTimeout == 45)
        let bare = ContainerConfig(ctid: ContainerID(value: 102)!, global: ConfigFile(text: vzConf), container: ConfigFile())
        #expect(bare.onboot == false)
        #expect(bare.nameservers == ["inherit"])
        #expect(bare.veRoot == "/vz/root/102")
        #expect(bare.hostname == nil)
        #expect(bare.ipAddresses == [])
        #expect(bare.stopTimeout == nil)
        #expect(bare.diskspace == nil)
    }

    @Test func network() {
        #expect(ct.ipAddresses == ["10.0.0.101", "2001:db8::101/64"])
        let n = ct.networkInterfaces
        #expect(n.count == 1)
        #expect(n.first?.hostIfname == "veth101.0")
        #expect(n.first?.bridge == "br0")
        #expect(n.first?.mac != nil)
        #expect(ct.netfilter == "stateless")
    }

    @Test func resourcesReadSuffixedSampleValues() {
        #expect(ct.resource(.physpages) == ResourceValue(barrier: 0, limit: 65536))
        #expect(ct.resource(.swappages) == ResourceValue(barrier: 0, limit: 131_072))
        #expect(ct.isVSwap)
        #expect(ct.ramBytes == 268_435_456)
        #expect(ct.swapBytes == 536_870_912)
        #expect(ct.diskspace == ResourceValue(barrier: 2_097_152, limit: 2_306_867))
        #expect(ct.diskinodes == ResourceValue(barrier: 131_072, limit: 144_179))
        // Legacy key name, and a bad value that reads as unset.
        #expect(ct.resource(.dcachesize) == ResourceValue(barrier: 3_409_920, limit: 3_624_960))
        #expect(ct.resource(.kmemsize) == nil)
        #expect(ct.resources.map(\.0) == [.physpages, .dcachesize, .swappages])
        #expect(ct.cpuunits == 1000)
        #expect(ct.cpumask == CPUMask("0-1"))
        #expect(ct.capability.isOn("NET_ADMIN") == true)
        #expect(ct.quotatime == 0)
    }

    @Test func globalConfig() {
        let g = GlobalConfig(ConfigFile(text: vzConf))
        #expect(g.lockDir == "/var/lib/vz/lock")
        #expect(g.dumpDir == "/vz/dump")
        #expect(g.templateDir == "/srv/vz/template")
        #expect(g.templateCacheDir == "/srv/vz/template/cache")
        #expect(g.veRoot == "/vz/root/$VEID")
        #expect(g.defaultSample == "vswap-256m")
        #expect(g.defaultOSTemplate == "debian-12-x86_64-minimal")
        #expect(g.layout == "simfs")
        #expect(g.stopTimeout == 120)
        #expect(g.logging == false)
        #expect(g.logLevel == -1)
        #expect(g.verbose == 2)
        #expect(g.diskQuota == false)
        #expect(g.nameservers == ["inherit"])
    }

    @Test func globalDefaultsWhenUnset() {
        let g = GlobalConfig(ConfigFile())
        #expect(g.lockDir == "/vz/lock")
        #expect(g.templateDir == "/vz/template")
        #expect(g.veRoot == "/vz/root/$VEID")
        #expect(g.vePrivate == "/vz/private/$VEID")
        #expect(g.defaultSample == nil)
        #expect(g.defaultOSTemplate == nil)
        #expect(g.stopTimeout == 120)
        #expect(g.logging)
        #expect(g.logFile == "/var/log/vzctl.log")
        #expect(g.verbose == 0)
        #expect(g.localUID == 100_000)
    }

    /// vzlist reads every config on each call: 1,000 parses plus the listed
    /// fields must stay far below a second even in a debug build.
    @Test func thousandConfigsAreCheap() {
        let global = ConfigFile(text: vzConf)
        // Speed is measured by bench/vzlist.sh, never asserted here; this
        // checks that reading 1,000 configs gives every one's values.
        var total = 0
        for id in 1...1000 {
            let c = ContainerConfig(ctid: ContainerID(value: UInt32(id))!, global: global, container: ConfigFile(text: ctConf))
            total += c.ipAddresses.count + (c.hostname?.utf8.count ?? 0)
            total += c.vePrivate?.utf8.count ?? 0
        }
        let one = ContainerConfig(ctid: ContainerID(value: 1)!, global: global, container: ConfigFile(text: ctConf))
        #expect(total == 1000 * (one.ipAddresses.count + (one.hostname?.utf8.count ?? 0)) + (1...1000).reduce(0) {
            $0 + (ContainerConfig(ctid: ContainerID(value: UInt32($1))!, global: global, container: ConfigFile(text: ctConf)).vePrivate?.utf8.count ?? 0)
        })
        #expect(one.ipAddresses.count > 0)
    }
}
