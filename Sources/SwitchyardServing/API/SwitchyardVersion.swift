/// The version `switchyard --version` prints and `GET /version` reports.
public enum SwitchyardVersion {
    public static let current = "0.1.0"
}
