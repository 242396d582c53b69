/// PLACEHOLDER (helper A replaces): incremental fetch sessions (KIP-227).
struct FetchSessionCache: Sendable {}
