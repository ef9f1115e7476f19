import ArgumentParser

/// `--output`: for people (text) or for programs (json).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
