extension DirectoryDescriptor {
    /// The partition directory `name` (a `device=` or `date=` level), created
    /// if missing and never reached through a symbolic link: a link found
    /// there is an error naming it, for `writer` ("an export", "a sync").
    func partitionSubdirectory(_ name: String, writtenBy writer: String) throws(StrataError) -> (DirectoryDescriptor, created: Bool) {
        do throws(Errno) {
            return try subdirectory(name, create: true)
        } catch {
            if isSymbolicLink(name) {
                throw StrataError(.invalidArgument, "is a symbolic link; \(writer) never writes through one", path: child(name))
            }
            throw .io(error, "creating the partition directory", path: child(name))
        }
    }
}
