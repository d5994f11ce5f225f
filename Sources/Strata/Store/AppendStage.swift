/// How far ``Store/append(_:reached:)`` took a batch before it returned or threw.
public enum AppendStage: Sendable, Equatable {
    /// Nothing of the batch is in the write-ahead log: a failed write was cut back off.
    case notLogged
    /// The batch is written to the log but not known to be on stable storage: the
    /// store's durability does not sync every batch, or the sync failed (after a
    /// failed sync the record may or may not survive a crash).
    case written
    /// The batch is in the log and synced: it survives a crash, and is replayed into
    /// the store when it is next opened if no segment holds it by then. A failure
    /// past this point (the automatic flush) keeps every point.
    case durable
}
