/// The version of Strata, as written into exported files (Parquet's `created_by`).
public enum StrataVersion {
    /// The release this source tree describes. The package had no version
    /// string before exports needed one; bump it with each release.
    public static let current = "0.1.0"
}
