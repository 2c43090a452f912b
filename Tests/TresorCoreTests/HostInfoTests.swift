import Testing
@_spi(Server) @testable import TresorCore

@Suite struct HostInfoTests {
    @Test func readsProcFormats() {
        let cpus = HostInfo.cpus("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu MHz\t\t: 2400.5\ncache size\t: 512 KB\nflags\t\t: fpu sse\n\nprocessor\t: 1\n")
        #expect(cpus.arrayValue?.count == 2)
        #expect(cpus.arrayValue?.first?.objectValue?["cacheSize"] == .int(512))
        let times = HostInfo.cpuTimes("cpu  10 0 5 100\ncpu0 200 0 100 5000 7 0 1 0 0 0\nintr 5\n")
        #expect(times.arrayValue?.count == 1)
        #expect(times.arrayValue?.first?.objectValue?["user"] == .double(2))
        let memory = HostInfo.memory("MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\n")
        #expect(memory.objectValue?["total"] == .int(1_024_000))
        #expect(memory.objectValue?["used"] == .int(409_600))
    }

    @Test func hostileTextNeverTraps() {
        let hostile = ["", ":", "processor : x", "processor : 99999999999999999999", "cpu0 a b c", "MemTotal: 9223372036854775807 kB",
                       "MemTotal: -5 kB\nMemAvailable: 9223372036854775807 kB",
                       "MemTotal: 9000000000000000 kB\nMemFree: 9000000000000000 kB\nBuffers: 9000000000000000 kB\nCached: 9000000000000000 kB", String(repeating: ":\n\n", count: 1000), "\u{0}\u{0}:\u{0}"]
        for text in hostile {
            _ = HostInfo.cpus(text)
            _ = HostInfo.cpuTimes(text)
            _ = HostInfo.memory(text)
        }
    }
}
