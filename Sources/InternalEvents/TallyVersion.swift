/// Tally's version, as `tally --version` prints it and the Service Ping reports it.
public enum TallyVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
