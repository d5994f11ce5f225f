import StrataFuzzTargets

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.codecs(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// SwiftPM links an executable's `main` to `<module>_main`: hand over to libFuzzer's driver.
@_cdecl("fuzz_codecs_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzTargets.runLibFuzzer(argc, argv, fuzz)
}
#else
/// Without libFuzzer: runs the target once on each file named (reproduces a crash in a plain build).
@main enum Replay {
    static func main() { FuzzTargets.replay(FuzzTargets.codecs) }
}
#endif
