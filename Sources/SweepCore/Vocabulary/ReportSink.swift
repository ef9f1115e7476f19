/// Where an engine records one ``JobResult`` per job: the CSV report, a plan, or both.
package protocol ReportSink: Sendable {
    /// Records one result.
    /// - Throws: ``SweepError`` `.output` when it cannot be written.
    func record(_ result: JobResult) throws(SweepError)
}
