import FSBNN

extension WeightParameterization {
    /// The latent weight `W` of a method that trains one (fp, binaryconnect, bwn), else nil.
    var latent: Parameter? { (self as? any LatentWeightParameterization)?.latentWeight }
}
