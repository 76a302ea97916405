/// A problem with what the user asked for (flags, URL, prompt file), found before any request is sent.
public struct BenchInputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A message fit to show the user as is.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
