"""Claims that tutorials/17_autoencoders.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # the linear autoencoder reaches PCA's error (Eckart-Young: it cannot go below it)
    (r"^linear autoencoder / PCA train MSE: (\S+)$", lambda m: 0.9999 < float(m[1]) < 1.001),
    # its decoder spans PCA's subspace; a random subspace does not
    (r"^largest decoder angle: (\S+) degrees$", below(1.0)),
    (r"^largest angle of a random 2-D subspace vs PCA: (\S+) degrees$", lambda m: float(m[1]) > 45),
    # the basis inside the subspace is free: mixing with A changes no output
    (r"^outputs with encoder @ A and inv\(A\) @ decoder: max difference (\S+)$", below(1e-12)),
    # dead pixels never move their encoder rows, other rows do; the encoder is not PCA's span
    (r"^pixels that are constant in every training image: (\d+)$", lambda m: int(m[1]) >= 1),
    (r"^largest change of the encoder weights on those pixels: (\S+) \(elsewhere: (\S+)\)$",
     lambda m: float(m[1]) == 0.0 and float(m[2]) > 0.01),
    (r"^principal angles encoder vs PCA \(degrees\): \[\s*\S+\s+(\S+)\]$",
     lambda m: float(m[1]) > 1.0),
    # it forgets its start fast along high-variance directions, slowly along low-variance ones
    (r"^largest encoder weight along PCA directions 3-12: (\S+)   along the last 32: (\S+)$",
     lambda m: float(m[1]) < 1e-2 and float(m[2]) > 0.05),
    # the nonlinear autoencoder beats PCA with the same two numbers, on test images
    (r"^nonlinear AE / PCA test MSE: (\S+)$", below(0.9)),
    # the encoder shared with the autoencoder is the same function
    (r"^decoder\(encoder\(x\)\) vs autoencoder\(x\): max difference (\S+)$", below(1e-12)),
    # its 2-D map separates the digits better than PCA's
    (r"^1-nearest-neighbour accuracy in the 2-D map: autoencoder (\S+)   PCA (\S+)$",
     lambda m: float(m[1]) > float(m[2]) + 0.05),
    (r"^saved figure: (.+17_reconstructions\.png)$", file_exists),
    (r"^saved figure: (.+17_latent_map\.png)$", file_exists),
]
