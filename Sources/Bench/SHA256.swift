// SHA-256 of committed and user-supplied weight files: the Data layer's streaming SHA-256 (written out
// there to avoid a crypto dependency; also used by `bench prepare` for multi-gigabyte downloads).
import Data
import Foundation

public enum SHA256 {
    /// Hex digest of `data`.
    public static func hex(_ data: Foundation.Data) -> String {
        var s = SHA256Stream()
        s.update(data)
        return s.hexDigest()
    }

    public static func hex(file url: URL) throws -> String {
        do { return try sha256OfFile(url.path).hex } catch {
            throw RunStoreError(file: url.path, message: "cannot read file to hash")
        }
    }
}
