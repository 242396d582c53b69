// Known-answer vectors produced by the reference tools (Python's gzip module, the gzip, zstd and lz4
// command-line tools built on zlib, libzstd and liblz4). `hello` is "Hello, Kafka! " repeated 8 times.
enum Vectors {
    /// Python `gzip.compress(hello, mtime=0)`.
    static let gzipPython = "1f8b0800000000000203f348cdc9c9d751f04e4ccb4e5454f0a0390f00316ba4fe70000000"
    /// Python `gzip.compress(b"first member\n", mtime=0) + gzip.compress(b"second member\n", mtime=0)`.
    static let gzipTwoMembers = """
        1f8b08000000000002034bcb2c2a2e51c84dcd4d4a2de20200a7f4850a0d0000001f8b08000000000002032b4e4dcecf4b51c84d
        cd4d4a2de2020036184b0e0e000000
        """
    /// `gzip -c -9 hello.bin` (with the FNAME and MTIME header fields).
    static let gzipCLI = """
        1f8b080831d4016b020368656c6c6f2e62696e00f348cdc9
        c9d751f04e4ccb4e5454f0a0390f00316ba4fe70000000
        """
    /// `zstd -c -3 < hello` (streamed: no content size, with a content checksum).
    static let zstdStreamed = "28b52ffd0458ad00007048656c6c6f2c204b61666b61212001001fd354022760176b"
    /// `zstd -c -3 hello` (single segment with a content size).
    static let zstdFile = "28b52ffd2470ad00007048656c6c6f2c204b61666b61212001001fd354022760176b"
    /// `zstd -c -3 < pattern251` (400 000 bytes `i % 251`; four blocks, no content size).
    static let zstdStreamedPattern = """
        28b52ffd04582c0800b40f000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728
        292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c
        5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f90
        9192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4
        c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8
        f9fa01007b817f7f6ea44c000008320100fcff3910024c000008640100fcff391002450000089601007cda0321d4abd0bf
        """
    /// `lz4 -c < hello` (4 MiB blocks, content checksum).
    static let lz4CLI = """
        04224d186440a718000000ef48656c6c6f2c204b61666b6121200e004a50666b61212000000000cf8b53d0
        """
    /// `lz4 -c --content-size hello` (content size and content checksum).
    static let lz4ContentSize = """
        04224d186c4070000000000000006118000000ef48656c6c6f2c204b61666b6121200e004a50666b61212000000000cf8b53d0
        """
    /// `lz4 -c -B4 < pattern7` (150 000 bytes `i % 7`; three independent 64 KiB blocks).
    static let lz4Pattern = """
        04224d186440a7110100007f000102030405060700ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffe1500405060001110100007f020304050600010700ffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe15006000102035b0000007f040506000102
        030700ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffff1b50060001020300000000b579ba6a
        """
    /// `lz4 -c -B4 -BD < pattern7` (linked blocks).
    static let lz4PatternLinked = """
        04224d1844405e110100007f000102030405060700ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffe15004050600010a0100000ffeffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffe85006000102035b0000007f040506000102030700ffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ffffffffffffffffffffffffffffffffffff1b50060001020300000000b579ba6a
        """
}
