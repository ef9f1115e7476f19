/// Something that carries out a job set and reports one row per job: the seam between planning
/// and execution. ``Executor`` (client-side calls) fills it today; a server-side batch engine
/// (Temporal's StartBatchOperation, reconciled per ID) can fill it later with the same report.
package protocol SweepEngine: Sendable {
    /// Acts on every job and records exactly one ``JobResult`` per job.
    /// - Throws: ``SweepError`` only for whole-run failures (the job source failing, the report
    ///   not writable); per-job failures are `failed` rows, never thrown.
    func run<Source: AsyncSequence, Sink: ReportSink>(_ jobs: Source, reportingTo reporter: Sink)
        async throws(SweepError) where Source.Element == Job
}
