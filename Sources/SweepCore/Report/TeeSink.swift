/// Records each result in two sinks (a dry run's report and its plan on standard output).
package struct TeeSink<First: ReportSink, Second: ReportSink>: ReportSink {
    package let first: First
    package let second: Second

    package init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    package func record(_ result: JobResult) throws(SweepError) {
        try first.record(result)
        try second.record(result)
    }
}
