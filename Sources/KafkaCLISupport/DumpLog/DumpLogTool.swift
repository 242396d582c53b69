import Foundation

/// `kafka-dump-log`: Apache Kafka's `DumpLogSegments` over segment files on disk, with its output (Kafka 2.3's
/// wording): `Dumping <file>` then the file's contents, and the problems found reported on standard error at the
/// end.
package struct DumpLogTool {
    package let options: DumpLogOptions

    package init(options: DumpLogOptions) {
        self.options = options
    }

    /// Dumps every file.
    ///
    /// - Parameters:
    ///   - emit: receives each line of standard output.
    ///   - report: receives each line of standard error.
    /// - Throws: ``ToolError`` after every file was dumped, when a file could not be read or held something that
    ///   could not be decoded, so that the exit status says so.
    package func run(emit: (String) -> Void, report: (String) -> Void) throws {
        let logDump = try LogSegmentDump(options: options)
        let indexDump = IndexFileDump(options: options)
        var logFindings = LogSegmentDump.Findings()
        var indexFindings = IndexFileDump.Findings()
        var failures: [String] = []
        for path in options.fileList {
            emit("Dumping \(path)")
            let suffix = path.split(separator: "/").last.flatMap { name in
                name.lastIndex(of: ".").map { String(name[$0...]) }
            }
            guard let suffix, [".log", ".index", ".timeindex", ".txnindex", ".snapshot"].contains(suffix) else {
                report("Ignoring unknown file \(path)")
                continue
            }
            do {
                let file = try SegmentFile(path: path)
                defer { file.close() }
                switch suffix {
                case ".log": try logDump.dump(file, emit: emit, findings: &logFindings)
                case ".index": try indexDump.dumpOffsetIndex(file, emit: emit, findings: &indexFindings)
                case ".timeindex": try indexDump.dumpTimeIndex(file, emit: emit, findings: &indexFindings)
                case ".txnindex":
                    let trailing = try indexDump.dumpTransactionIndex(file, emit: emit)
                    if trailing > 0 { failures.append("\(path): \(trailing) bytes after the last whole entry") }
                default: try indexDump.dumpProducerSnapshot(file, emit: emit)
                }
            } catch {
                report("\(error)")
                failures.append("\(error)")
            }
        }
        Self.report(logFindings, indexFindings, to: report)
        if logFindings.unreadable > 0 {
            failures.append("\(logFindings.unreadable) batch(es) could not be read")
        }
        if indexFindings.failedSanityChecks > 0 {
            failures.append("\(indexFindings.failedSanityChecks) index(es) failed the sanity check")
        }
        if !failures.isEmpty {
            throw ToolError(
                failures.count == 1 ? failures[0] : "\(failures.count) problems: \(failures.joined(separator: "; "))")
        }
    }

    /// Kafka's reports after the files: index mismatches, time index problems, offsets that do not follow.
    static func report(_ log: LogSegmentDump.Findings, _ index: IndexFileDump.Findings, to report: (String) -> Void) {
        for (file, pairs) in index.offsetMismatches {
            report("Mismatches in :\(file)")
            for (indexOffset, logOffset) in pairs { report("  Index offset: \(indexOffset), log offset: \(logOffset)") }
        }
        for (file, pairs) in index.timestampMismatches {
            report("Found timestamp mismatch in :\(file)")
            for (indexTime, logTime) in pairs { report("  Index timestamp: \(indexTime), log timestamp: \(logTime)") }
        }
        for (file, pairs) in index.outOfOrderTimestamps {
            report("Found out of order timestamp in :\(file)")
            for (indexTime, previous) in pairs {
                report("  Index timestamp: \(indexTime), Previously indexed timestamp: \(previous)")
            }
        }
        for (_, pairs) in index.offsetsNotFound {
            report("The following indexed offsets are not found in the log.")
            for (indexOffset, logOffset) in pairs {
                report("Indexed offset: \(indexOffset), found log offset: \(logOffset)")
            }
        }
        for (file, pairs) in log.nonConsecutive {
            report("Non-consecutive offsets in :\(file)")
            for (first, second) in pairs { report("  \(first) is followed by \(second)") }
        }
    }
}
