// Linear probing: frozen backbone, only the classifier head trains (KMnP/vpt TRANSFER_TYPE "linear").
/// Linear probe on the CLS feature.
public final class LinearProbe: BackboneWithHead {
    public init(setup: MethodSetup) throws { try super.init(id: "linear", setup: setup) { _ in false } }
}
