extension Store {
    /// Writes a new manifest with `change` applied, durably, and then applies
    /// `update` to the store's state in the same step that records the new
    /// manifest, so queries never see a segment set the disk does not hold.
    ///
    /// When the write fails nothing changes (the old manifest stays on disk
    /// and in memory) and the error is thrown.
    ///
    /// - Returns: nil once the change is durable. When the new manifest is in
    ///   place but its directory sync failed, the change is applied (memory
    ///   follows what is on disk) and the error is returned: the caller must
    ///   keep what the old manifest still needs (log files, replaced
    ///   segments), since a power loss may bring it back, and then report it.
    @discardableResult
    func publish(_ change: (inout Manifest) -> Void, then update: (inout StoreState) -> Void) throws(StrataError) -> StrataError? {
        try manifestGate.withLock { _ throws(StrataError) -> StrataError? in
            var manifest = state.withLock { state in
                var manifest = state.manifest
                manifest.nextSequence = state.nextSequence
                return manifest
            }
            change(&manifest)
            manifest.generation += 1
            let notDurable = try ManifestFile.write(manifest, in: directory)
            state.withLock { state in
                state.manifest = manifest
                update(&state)
            }
            if let notDurable {
                logger.error("a new manifest is in place but could not be made durable", metadata: ["error": "\(notDurable)"])
            }
            return notDurable
        }
    }

    /// Takes the next sequence number (for a segment or a deletion).
    func takeSequence() -> UInt64 {
        state.withLock { state in
            defer { state.nextSequence += 1 }
            return state.nextSequence
        }
    }
}
