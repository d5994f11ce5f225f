/// One row-set of a many-series downsampling: a series on its own, or a group
/// of series merged into one (see ``Store/downsample(merging:as:options:)``).
public struct DownsampleRequest: Sendable, Equatable {
    /// The key the result reports.
    public var label: SeriesKey
    /// The series summarized; one for a series on its own.
    public var members: [SeriesKey]
    /// Whether the members are merged (a group) rather than one series summarized.
    public var merges: Bool

    /// One series, summarized on its own.
    public static func series(_ key: SeriesKey) -> DownsampleRequest {
        DownsampleRequest(label: key, members: [key], merges: false)
    }

    /// Several series merged into one, reported as `label`.
    public static func group(_ members: [SeriesKey], as label: SeriesKey) -> DownsampleRequest {
        DownsampleRequest(label: label, members: members, merges: true)
    }
}

extension Store {
    /// Downsamples many series or groups on every core and hands the results
    /// over in request order.
    ///
    /// `transform` runs on the worker threads (format a result into text
    /// there, so formatting is parallel too); `deliver` runs on the calling
    /// thread, for request 0, 1, 2 … in order. At most a few results are
    /// held ahead of the one awaited, so memory stays that of a few results
    /// whatever the number of requests.
    ///
    /// - Parameters:
    ///   - threads: the threads to use; default, one per processor.
    /// - Throws: the first error of a downsampling, in request order, or of `deliver`.
    public func downsample<Output: Sendable>(
        _ requests: [DownsampleRequest], options: DownsampleOptions, threads: Int? = nil,
        transform: @escaping @Sendable (DownsampleResult) -> Output,
        deliver: (_ request: Int, _ output: Output) throws -> Void
    ) throws {
        try options.validate()
        let workers = max(1, threads ?? ParallelWork.processorCount)
        try OrderedParallelWork.run(count: requests.count, workers: workers, lookahead: 2 * workers, produce: { index in
            let request = requests[index]
            return Result { () throws(StrataError) in
                let result = request.merges
                    ? try self.downsample(merging: request.members, as: request.label, options: options)
                    : try self.downsample(device: request.label.device, metric: request.label.metric, options: options)
                return transform(result)
            }
        }, deliver: { (index, outcome: Result<Output, StrataError>) throws in
            try deliver(index, try outcome.get())
        })
    }
}
