/// The largest shapes and reads `ActivationReader` accepts from an HDF5 activation file. Every dimension a file
/// claims is checked against these (and against the bytes the file actually stores) before anything is allocated.
public enum ActivationLimits {
    /// Images (rows, N) in one dataset.
    public static let maxImages = 1 << 24
    /// Channels (C) of one layer.
    public static let maxChannels = 1 << 16
    /// Height or width of one feature map or input image.
    public static let maxSide = 1 << 14
    /// Bytes of one image's worth of a dataset (C × H × W float32).
    public static let maxItemBytes = 1 << 30
    /// Bytes one `read` may allocate (fit-kernels reads a whole layer: pass fewer images to stay under it).
    public static let maxReadBytes = 1 << 30
    /// Bytes of one HDF5 chunk (libhdf5 inflates a whole chunk at a time).
    public static let maxChunkBytes = 1 << 28
    /// Members of /layers.
    public static let maxLayers = 1 << 14
}
