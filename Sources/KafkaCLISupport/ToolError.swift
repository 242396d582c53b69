/// A failure of a tool, reported as one line on standard error (`<tool>: <description>`) with exit status 1.
package struct ToolError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, on one line.
    package var description: String

    package init(_ description: String) { self.description = description }
}
