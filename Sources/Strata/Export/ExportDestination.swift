/// Where an export, a plot or any other output may go.
public enum ExportDestination {
    /// Throws ``StrataError/Code/invalidArgument`` when `destination` is the
    /// store's directory or lies inside it. Writing there could truncate a
    /// mapped segment or replace the manifest, so it is refused before
    /// anything is written.
    ///
    /// Both paths are compared resolved: symbolic links, `.` and `..` are
    /// followed as the system would, and a destination that does not exist
    /// yet is judged by its nearest existing parent.
    public static func refuseInside(store: String, destination: String) throws(StrataError) {
        let resolvedStore = FileSystem.resolvedPath(store)
        let resolved = FileSystem.resolvedPath(destination)
        guard FileSystem.isPath(resolved, inside: resolvedStore) else { return }
        let place = resolved == resolvedStore ? "is the store's directory" : "lies inside the store \(resolvedStore)"
        throw StrataError(.invalidArgument, "\(place); writing there would damage the store, so choose a destination outside it", path: destination)
    }
}
