import CZeroMQ

/// Facts about the libzmq this process linked against.
public enum ZMQLibrary {
    /// The runtime libzmq version (major, minor, patch).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// The version as "4.3.4".
    public static var versionString: String {
        let v = version
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// Whether libzmq was built with a capability such as "curve", "ipc" or "draft".
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}
