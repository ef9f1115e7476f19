package import Foundation

/// Reads files whole through `FileHandle`. Not `String(contentsOfFile:)` or `Data(contentsOf:)`:
/// in the Swift 6.3 toolchain's FoundationEssentials both leak a 4 KiB buffer when the file is
/// empty (seen under --sanitize=address while polling a worker's still-empty log).
package enum TextFile {
    package static func read(_ path: String) throws -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }

    package static func bytes(_ path: String) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        return try handle.readToEnd() ?? Data()
    }
}
