import Foundation

/// `sys/host-info`: what the machine under the server is, read from Linux's /proc and the file
/// system, in the keys Vault returns (gopsutil's names): `cpu`, `cpu_times`, `disk`, `host`,
/// `memory`, `timestamp`. A file that cannot be read leaves its part out rather than failing:
/// containers hide some of them.
enum HostInfo {
    static func collect(now: Date = Date()) -> JSONValue {
        var data: [String: JSONValue] = [
            "timestamp": .string(now.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
        ]
        if let text = read("/proc/cpuinfo") { data["cpu"] = cpus(text) }
        if let text = read("/proc/stat") { data["cpu_times"] = cpuTimes(text) }
        if let text = read("/proc/meminfo") { data["memory"] = memory(text) }
        data["disk"] = .array([disk("/")].compactMap { $0 })
        data["host"] = host(now: now)
        return .object(data)
    }

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), data.count < 4 << 20 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// /proc/cpuinfo: one block per logical CPU, "key : value" lines.
    static func cpus(_ text: String) -> JSONValue {
        var result: [JSONValue] = []
        for block in text.components(separatedBy: "\n\n") where block.contains(":") {
            var fields: [String: String] = [:]
            for line in block.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].trimmingCharacters(in: .whitespaces)] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard let index = fields["processor"].flatMap({ Int64($0) }) else { continue }
            let cache = fields["cache size"].flatMap { Int64($0.split(separator: " ").first ?? "") } ?? 0
            result.append([
                "cpu": .int(index), "vendorId": .string(fields["vendor_id"] ?? ""), "family": .string(fields["cpu family"] ?? ""),
                "model": .string(fields["model"] ?? ""), "stepping": .int(fields["stepping"].flatMap { Int64($0) } ?? 0),
                "physicalId": .string(fields["physical id"] ?? ""), "coreId": .string(fields["core id"] ?? ""),
                "cores": .int(1), "modelName": .string(fields["model name"] ?? ""),
                "mhz": .double(fields["cpu MHz"].flatMap { Double($0) } ?? 0), "cacheSize": .int(cache),
                "flags": .array((fields["flags"] ?? "").split(separator: " ").map { .string(String($0)) }),
                "microcode": .string(fields["microcode"] ?? ""),
            ])
        }
        return .array(result)
    }

    /// /proc/stat's "cpuN" lines, in clock ticks (USER_HZ, 100 on Linux), as seconds.
    static func cpuTimes(_ text: String) -> JSONValue {
        let names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guestNice"]
        var result: [JSONValue] = []
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") && !line.hasPrefix("cpu ") {
            let parts = line.split(separator: " ")
            guard let name = parts.first else { continue }
            var entry: [String: JSONValue] = ["cpu": .string(String(name))]
            for (index, key) in names.enumerated() {
                let ticks = index + 1 < parts.count ? Double(parts[index + 1]) ?? 0 : 0
                entry[key] = .double(ticks / 100)
            }
            result.append(.object(entry))
        }
        return .array(result)
    }

    /// /proc/meminfo in bytes, with gopsutil's derived `used` and `usedPercent`.
    static func memory(_ text: String) -> JSONValue {
        var kib: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let value = Int64(parts[1]) else { continue }
            kib[String(parts[0].dropLast())] = value
        }
        func bytes(_ key: String) -> Int64 { (kib[key] ?? 0).multipliedReportingOverflow(by: 1024).partialValue }
        let total = bytes("MemTotal"), free = bytes("MemFree"), buffers = bytes("Buffers")
        // Wrapping arithmetic: the numbers come from a file, and a file must never trap the server.
        let cached = bytes("Cached") &+ bytes("SReclaimable")
        let available = kib["MemAvailable"] != nil ? bytes("MemAvailable") : free &+ buffers &+ cached
        let used = total &- available
        return [
            "total": .int(total), "available": .int(available), "used": .int(used),
            "usedPercent": .double(total > 0 ? Double(used) / Double(total) * 100 : 0), "free": .int(free),
            "active": .int(bytes("Active")), "inactive": .int(bytes("Inactive")), "buffers": .int(buffers), "cached": .int(cached),
            "swaptotal": .int(bytes("SwapTotal")), "swapfree": .int(bytes("SwapFree")), "shared": .int(bytes("Shmem")),
            "dirty": .int(bytes("Dirty")), "writeback": .int(bytes("Writeback")), "slab": .int(bytes("Slab")),
        ]
    }

    static func disk(_ path: String) -> JSONValue? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let block = Int64(stats.f_frsize)
        let total = Int64(stats.f_blocks) * block, free = Int64(stats.f_bavail) * block
        let used = (Int64(stats.f_blocks) - Int64(stats.f_bfree)) * block
        let inodes = Int64(stats.f_files), inodesFree = Int64(stats.f_ffree)
        return [
            "path": .string(path), "fstype": "", "total": .int(total), "free": .int(free), "used": .int(used),
            "usedPercent": .double(used + free > 0 ? Double(used) / Double(used + free) * 100 : 0),
            "inodesTotal": .int(inodes), "inodesUsed": .int(inodes - inodesFree), "inodesFree": .int(inodesFree),
            "inodesUsedPercent": .double(inodes > 0 ? Double(inodes - inodesFree) / Double(inodes) * 100 : 0),
        ]
    }

    static func host(now: Date) -> JSONValue {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let uptime = read("/proc/uptime").flatMap { Double($0.split(separator: " ").first ?? "") } ?? 0
        var release: [String: String] = [:]
        for line in (read("/etc/os-release") ?? "").split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            release[String(line[..<equals])] = line[line.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { $0.allSatisfy(\.isNumber) }.count ?? 0
        return [
            "hostname": .string(field(names.nodename)), "uptime": .int(Int64(uptime)),
            "bootTime": .int(Int64(now.timeIntervalSince1970 - uptime)), "procs": .int(Int64(processes)),
            "os": .string(field(names.sysname).lowercased()), "platform": .string(release["ID"] ?? ""),
            "platformFamily": .string(release["ID_LIKE"] ?? release["ID"] ?? ""), "platformVersion": .string(release["VERSION_ID"] ?? ""),
            "kernelVersion": .string(field(names.release)), "kernelArch": .string(field(names.machine)),
            "virtualizationSystem": "", "virtualizationRole": "",
            "hostid": .string((read("/etc/machine-id") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)),
        ]
    }
}
