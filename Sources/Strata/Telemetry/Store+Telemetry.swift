import Logging

extension Store {
    /// Logs what opening found: the recovery, damaged files and unreadable segments.
    func reportOpening(segments: Int) {
        metrics.segments.record(segments)
        for problem in recovery.problems {
            logger.warning("write-ahead log recovery: \(problem.message)", metadata: Self.metadata(of: problem))
        }
        for problem in unreadableSegments {
            logger.error("segment is unreadable and left out: \(problem.message)", metadata: Self.metadata(of: problem))
        }
        if recovery.records > 0 {
            logger.notice("recovered points from the write-ahead log", metadata: [
                "files": "\(recovery.files)", "records": "\(recovery.records)", "points": "\(recovery.points)",
                "milliseconds": "\(recovery.milliseconds)",
            ])
        }
        logger.info("opened", metadata: ["mode": "\(mode)", "segments": "\(segments)"])
    }

    /// A problem's file and offset as log metadata.
    static func metadata(of error: StrataError) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["code": "\(error.code)"]
        if let path = error.path { metadata["file"] = .string(path) }
        if let offset = error.offset { metadata["offset"] = "\(offset)" }
        return metadata
    }
}
