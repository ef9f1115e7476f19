import Foundation
import SweepTestSupport
import Testing

@testable import SweepCore

@Suite("batch commands")
struct BatchCommandsTests {
    @Test("a stop that got no answer says it may have landed, not that nothing was sent")
    func unansweredStop() async throws {
        let silent = try SilentServer()
        let connection = ConnectionOptions(address: silent.address, callTimeout: .seconds(1))
        do {
            _ = try await BatchCommands.stop(connection, jobID: "job-1", reason: "test")
            Issue.record("a silent server stopped a job")
        } catch {
            #expect(error.code == .unreachable)
            #expect(error.message.contains("the stop was sent but no answer came: it may have landed"), "\(error)")
            #expect(error.message.contains("sweep batch describe job-1"))
            #expect(!error.message.contains("nothing was sent"), "\(error)")
        }
    }

    @Test("a describe that got no answer still says nothing was sent (it changes nothing)")
    func unansweredDescribe() async throws {
        let silent = try SilentServer()
        let connection = ConnectionOptions(address: silent.address, callTimeout: .seconds(1))
        do {
            _ = try await BatchCommands.describe(connection, jobID: "job-1")
            Issue.record("a silent server described a job")
        } catch {
            #expect(error.code == .unreachable)
            #expect(error.message.contains("nothing was sent"), "\(error)")
        }
    }
}
