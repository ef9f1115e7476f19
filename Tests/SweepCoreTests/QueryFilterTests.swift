import Foundation
import SweepCore
import Testing

@Suite("query filters")
struct QueryFilterTests {
    @Test("--older-than: the query in parentheses, AND a StartTime to the second in UTC")
    func olderThan() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-17T...Z
        let query = QueryFilter.startedBefore(.seconds(86_400 + 1.5), in: "A='x' OR B='y'", now: now)
        let expected = now.addingTimeInterval(-86_401.5)
        let stamp = expected.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
        #expect(query == "(A='x' OR B='y') AND StartTime < '\(stamp)'")
        #expect(stamp.hasSuffix("Z") && stamp.count == 20)
    }

    @Test(
        "a query that could escape the parentheses --older-than puts around it is named unbalanced",
        arguments: [
            (
                "WorkflowType='Foo') OR (WorkflowType='Nope'",
                "the ')' at character 19 closes a parenthesis that was never opened"
            ),
            ("(WorkflowType='Foo'", "a '(' is never closed"),
            ("((A='x')", "a '(' is never closed"),
            ("(((A='x')", "2 '(' are never closed"),
            ("WorkflowId='a", "a literal opened with ' never ends"),
            ("WorkflowId=\"a\") OR (B=\"b\"", "the ')' at character 15"),
            ("WorkflowId='a\\') OR ('b'", "a literal opened with ' never ends"),
        ])
    func unbalanced(query: String, problem: String) throws {
        let found = try #require(QueryFilter.unbalanced(query))
        #expect(found.hasPrefix(problem))
    }

    @Test(
        "parentheses and quotes inside literals, and balanced groups, are accepted",
        arguments: [
            "WorkflowType='OrderSaga'",
            "WorkflowId = 'a)b('",
            "WorkflowId = \"(\" OR WorkflowId = ')'",
            "WorkflowId = 'it\\'s (x'",
            "(A='x' OR (B='y')) AND `Custom)Field` = 1",
        ])
    func balanced(query: String) {
        #expect(QueryFilter.unbalanced(query) == nil)
    }
}
