extension Store {
    /// Writes a new manifest with `change` applied, durably, and then applies
    /// `update` to the store's state in the same step that records the new
    /// manifest, so queries never see a segment set the disk does not hold.
    ///
    /// When the write fails nothing changes (the old manifest stays on disk
    /// and in memory) and the error is thrown.
    func publish(_ change: (inout Manifest) -> Void, then update: (inout StoreState) -> Void) throws(StrataError) {
        try manifestGate.withLock { _ throws(StrataError) in
            var manifest = state.withLock { state in
                var manifest = state.manifest
                manifest.nextSequence = state.nextSequence
                return manifest
            }
            change(&manifest)
            manifest.generation += 1
            try ManifestFile.write(manifest, in: directory)
            state.withLock { state in
                state.manifest = manifest
                update(&state)
            }
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
