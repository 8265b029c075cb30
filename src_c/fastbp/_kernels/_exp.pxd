# fastbp's own exp, inline: glibc's exp is a call that no loop vectorizes, and
# the sigmoid and softmax loops spent most of their time in it.  The usual
# table design (as glibc's), error at most 0.512 ulp (tests/test_exp.py checks
# it against a long-double reference), in plain C arithmetic without fused
# multiply-adds, so that every build (portable, AVX2, AVX-512) and both shapes
# below give the same bits.  tools/exp_table.py computes the table.
#
# exp(x) = 2^e 2^(j/N) e^r, N = 512, where k = round(N x / ln 2) = N e + j and
# r = x - k ln2/N (|r| <= ln2/1024; ln2/N in two parts, k * hi exact);
# 2^(j/N) = hi (1 + tail); e^r (1 + tail) - 1 = p = (r + tail) + r^2/2 +
# r^3 (1/6 + r/24) (the next term is below 2^-59).  The result is s + s p,
# s = 2^e hi built by adding e to hi's exponent bits.  Near the ends of the
# range s is 2^(e-1) hi or 2^(e+64) hi and a last product by 2 or 2^-64 puts
# the result in place (an overflow to inf, a subnormal rounded once); past the
# ends the result is inf or 0.  NaN stays NaN.  A large table and a short
# polynomial: one example's chain of two exps is latency-bound (W1), and this
# one is as short as glibc's with its fused multiply-adds.
#
# Two shapes of the same arithmetic (the same bits, tests/test_exp.py):
# ``fastbp_exp_lanes``, without branches (selects by bit masks: gcc
# if-converts nothing that follows a table load), which gcc vectorizes with
# AVX2's gathers; and, in setup.py's scalar kernels (FASTBP_SCALAR_LOOPS) and
# in builds without gathers, whose loops stay scalar, one branch to it at the
# ends of the range.

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #include <math.h>
    #define FASTBP_EXP_N 512
    static const double fastbp_exp_step_hi = 0x1.62e42ff000000p-10;  /* ln(2)/N */
    static const double fastbp_exp_step_lo = -0x1.718432a1b0e26p-44;
    static const double fastbp_exp_per_step = 0x1.71547652b82fep+9;  /* N/ln(2) */
    static const double fastbp_exp2_hi[FASTBP_EXP_N] = {
        0x1.0000000000000p+0, 0x1.0058c86da1c0ap+0, 0x1.00b1afa5abcbfp+0,
        0x1.010ab5b2cbd11p+0, 0x1.0163da9fb3335p+0, 0x1.01bd1e77170b4p+0,
        0x1.02168143b0281p+0, 0x1.027003103b10ep+0, 0x1.02c9a3e778061p+0,
        0x1.032363d42b027p+0, 0x1.037d42e11bbccp+0, 0x1.03d7411915a8ap+0,
        0x1.04315e86e7f85p+0, 0x1.048b9b35659d8p+0, 0x1.04e5f72f654b1p+0,
        0x1.0540727fc1762p+0, 0x1.059b0d3158574p+0, 0x1.05f5c74f0bec2p+0,
        0x1.0650a0e3c1f89p+0, 0x1.06ab99fa6407cp+0, 0x1.0706b29ddf6dep+0,
        0x1.0761ead925493p+0, 0x1.07bd42b72a836p+0, 0x1.0818ba42e7d30p+0,
        0x1.0874518759bc8p+0, 0x1.08d0088f8093fp+0, 0x1.092bdf66607e0p+0,
        0x1.0987d61701716p+0, 0x1.09e3ecac6f383p+0, 0x1.0a402331b9715p+0,
        0x1.0a9c79b1f3919p+0, 0x1.0af8f03834e52p+0, 0x1.0b5586cf9890fp+0,
        0x1.0bb23d833d93fp+0, 0x1.0c0f145e46c85p+0, 0x1.0c6c0b6bdae53p+0,
        0x1.0cc922b7247f7p+0, 0x1.0d265a4b520bap+0, 0x1.0d83b23395decp+0,
        0x1.0de12a7b26300p+0, 0x1.0e3ec32d3d1a2p+0, 0x1.0e9c7c55189c6p+0,
        0x1.0efa55fdfa9c5p+0, 0x1.0f58503328e6dp+0, 0x1.0fb66affed31bp+0,
        0x1.1014a66f951cep+0, 0x1.1073028d7233ep+0, 0x1.10d17f64d9ef1p+0,
        0x1.11301d0125b51p+0, 0x1.118edb6db2dc1p+0, 0x1.11edbab5e2ab6p+0,
        0x1.124cbae51a5c8p+0, 0x1.12abdc06c31ccp+0, 0x1.130b1e264a0e9p+0,
        0x1.136a814f204abp+0, 0x1.13ca058cbae1ep+0, 0x1.1429aaea92de0p+0,
        0x1.1489717425438p+0, 0x1.14e95934f312ep+0, 0x1.154962388149ep+0,
        0x1.15a98c8a58e51p+0, 0x1.1609d83606e12p+0, 0x1.166a45471c3c2p+0,
        0x1.16cad3c92df73p+0, 0x1.172b83c7d517bp+0, 0x1.178c554eaea89p+0,
        0x1.17ed48695bbc0p+0, 0x1.184e5d23816c9p+0, 0x1.18af9388c8deap+0,
        0x1.1910eba4df41fp+0, 0x1.1972658375d2fp+0, 0x1.19d4013041dc2p+0,
        0x1.1a35beb6fcb75p+0, 0x1.1a979e2363cf8p+0, 0x1.1af99f8138a1cp+0,
        0x1.1b5bc2dc40bf0p+0, 0x1.1bbe084045cd4p+0, 0x1.1c206fb91588fp+0,
        0x1.1c82f95281c6bp+0, 0x1.1ce5a51860746p+0, 0x1.1d4873168b9aap+0,
        0x1.1dab6358e15e8p+0, 0x1.1e0e75eb44027p+0, 0x1.1e71aad999e82p+0,
        0x1.1ed5022fcd91dp+0, 0x1.1f387bf9cda38p+0, 0x1.1f9c18438ce4dp+0,
        0x1.1fffd7190241ep+0, 0x1.2063b88628cd6p+0, 0x1.20c7bc96ffc18p+0,
        0x1.212be3578a819p+0, 0x1.21902cd3d09b9p+0, 0x1.21f49917ddc96p+0,
        0x1.2259282fc1f27p+0, 0x1.22bdda27912d1p+0, 0x1.2322af0b63bffp+0,
        0x1.2387a6e756238p+0, 0x1.23ecc1c78903ap+0, 0x1.2451ffb82140ap+0,
        0x1.24b760c547f15p+0, 0x1.251ce4fb2a63fp+0, 0x1.25828c65fa1ffp+0,
        0x1.25e85711ece75p+0, 0x1.264e450b3cb82p+0, 0x1.26b4565e27cddp+0,
        0x1.271a8b16f0a30p+0, 0x1.2780e341ddf29p+0, 0x1.27e75eeb3ab98p+0,
        0x1.284dfe1f56381p+0, 0x1.28b4c0ea83f36p+0, 0x1.291ba7591bb70p+0,
        0x1.2982b17779965p+0, 0x1.29e9df51fdee1p+0, 0x1.2a5130f50d65cp+0,
        0x1.2ab8a66d10f13p+0, 0x1.2b203fc675d1fp+0, 0x1.2b87fd0dad990p+0,
        0x1.2befde4f2e280p+0, 0x1.2c57e39771b2fp+0, 0x1.2cc00cf2f6c18p+0,
        0x1.2d285a6e4030bp+0, 0x1.2d90cc15d5346p+0, 0x1.2df961f641589p+0,
        0x1.2e621c1c14833p+0, 0x1.2ecafa93e2f56p+0, 0x1.2f33fd6a454d2p+0,
        0x1.2f9d24abd886bp+0, 0x1.300670653dfe4p+0, 0x1.306fe0a31b715p+0,
        0x1.30d975721b004p+0, 0x1.31432edeeb2fdp+0, 0x1.31ad0cf63eeacp+0,
        0x1.32170fc4cd831p+0, 0x1.3281375752b40p+0, 0x1.32eb83ba8ea32p+0,
        0x1.3355f4fb45e20p+0, 0x1.33c08b26416ffp+0, 0x1.342b46484ebb4p+0,
        0x1.3496266e3fa2dp+0, 0x1.35012ba4ea77dp+0, 0x1.356c55f929ff1p+0,
        0x1.35d7a577dd72bp+0, 0x1.36431a2de883bp+0, 0x1.36aeb428335b4p+0,
        0x1.371a7373aa9cbp+0, 0x1.3786581d3f669p+0, 0x1.37f26231e754ap+0,
        0x1.385e91be9c811p+0, 0x1.38cae6d05d866p+0, 0x1.393761742d808p+0,
        0x1.39a401b7140efp+0, 0x1.3a10c7a61d55bp+0, 0x1.3a7db34e59ff7p+0,
        0x1.3aeac4bcdf3eap+0, 0x1.3b57fbfec6cf4p+0, 0x1.3bc559212ef89p+0,
        0x1.3c32dc313a8e5p+0, 0x1.3ca0853c10f28p+0, 0x1.3d0e544ede173p+0,
        0x1.3d7c4976d27fap+0, 0x1.3dea64c123422p+0, 0x1.3e58a63b0a09bp+0,
        0x1.3ec70df1c5175p+0, 0x1.3f359bf29743fp+0, 0x1.3fa4504ac801cp+0,
        0x1.40132b07a35dfp+0, 0x1.40822c367a024p+0, 0x1.40f153e4a136ap+0,
        0x1.4160a21f72e2ap+0, 0x1.41d016f44d8f5p+0, 0x1.423fb2709468ap+0,
        0x1.42af74a1af3f1p+0, 0x1.431f5d950a897p+0, 0x1.438f6d5817663p+0,
        0x1.43ffa3f84b9d4p+0, 0x1.4470018321a1ap+0, 0x1.44e086061892dp+0,
        0x1.4551318eb43ecp+0, 0x1.45c2042a7d232p+0, 0x1.4632fde7006f4p+0,
        0x1.46a41ed1d0057p+0, 0x1.471566f8827d0p+0, 0x1.4786d668b3237p+0,
        0x1.47f86d3001fe5p+0, 0x1.486a2b5c13cd0p+0, 0x1.48dc10fa920a1p+0,
        0x1.494e1e192aed2p+0, 0x1.49c052c5916c4p+0, 0x1.4a32af0d7d3dep+0,
        0x1.4aa532feaada6p+0, 0x1.4b17dea6db7d7p+0, 0x1.4b8ab213d5283p+0,
        0x1.4bfdad5362a27p+0, 0x1.4c70d073537cap+0, 0x1.4ce41b817c114p+0,
        0x1.4d578e8bb586bp+0, 0x1.4dcb299fddd0dp+0, 0x1.4e3eeccbd7b2ap+0,
        0x1.4eb2d81d8abffp+0, 0x1.4f26eba2e35f0p+0, 0x1.4f9b2769d2ca7p+0,
        0x1.500f8b804f127p+0, 0x1.508417f4531eep+0, 0x1.50f8ccd3deb0dp+0,
        0x1.516daa2cf6642p+0, 0x1.51e2b00da3b14p+0, 0x1.5257de83f4eefp+0,
        0x1.52cd359dfd53dp+0, 0x1.5342b569d4f82p+0, 0x1.53b85df598d78p+0,
        0x1.542e2f4f6ad27p+0, 0x1.54a4298571b06p+0, 0x1.551a4ca5d920fp+0,
        0x1.559098bed1bdfp+0, 0x1.56070dde910d2p+0, 0x1.567dac1351819p+0,
        0x1.56f4736b527dap+0, 0x1.576b63f4d854cp+0, 0x1.57e27dbe2c4cfp+0,
        0x1.5859c0d59ca07p+0, 0x1.58d12d497c7fdp+0, 0x1.5948c32824135p+0,
        0x1.59c0827ff07ccp+0, 0x1.5a386b5f43d92p+0, 0x1.5ab07dd485429p+0,
        0x1.5b28b9ee20d1ep+0, 0x1.5ba11fba87a03p+0, 0x1.5c19af482fc8fp+0,
        0x1.5c9268a5946b7p+0, 0x1.5d0b4be135accp+0, 0x1.5d84590998b93p+0,
        0x1.5dfd902d47c65p+0, 0x1.5e76f15ad2148p+0, 0x1.5ef07ca0cbf0fp+0,
        0x1.5f6a320dceb71p+0, 0x1.5fe411b078d26p+0, 0x1.605e1b976dc09p+0,
        0x1.60d84fd15612ap+0, 0x1.6152ae6cdf6f4p+0, 0x1.61cd3778bc944p+0,
        0x1.6247eb03a5585p+0, 0x1.62c2c91c56acdp+0, 0x1.633dd1d1929fdp+0,
        0x1.63b90532205d8p+0, 0x1.6434634ccc320p+0, 0x1.64afec30678b7p+0,
        0x1.652b9febc8fb7p+0, 0x1.65a77e8dcc390p+0, 0x1.6623882552225p+0,
        0x1.669fbcc140be7p+0, 0x1.671c1c70833f6p+0, 0x1.6798a7420a036p+0,
        0x1.68155d44ca973p+0, 0x1.68923e87bfb7ap+0, 0x1.690f4b19e9538p+0,
        0x1.698c830a4c8d4p+0, 0x1.6a09e667f3bcdp+0, 0x1.6a877541ee718p+0,
        0x1.6b052fa75173ep+0, 0x1.6b8315a736c75p+0, 0x1.6c012750bdabfp+0,
        0x1.6c7f64b30aa09p+0, 0x1.6cfdcddd47645p+0, 0x1.6d7c62dea2f8ap+0,
        0x1.6dfb23c651a2fp+0, 0x1.6e7a10a38cee8p+0, 0x1.6ef9298593ae5p+0,
        0x1.6f786e7ba9fefp+0, 0x1.6ff7df9519484p+0, 0x1.70777ce1303f6p+0,
        0x1.70f7466f42e87p+0, 0x1.71773c4eaa988p+0, 0x1.71f75e8ec5f74p+0,
        0x1.7277ad3ef9011p+0, 0x1.72f8286ead08ap+0, 0x1.7378d02d50b8fp+0,
        0x1.73f9a48a58174p+0, 0x1.747aa5953c849p+0, 0x1.74fbd35d7cbfdp+0,
        0x1.757d2df29ce7cp+0, 0x1.75feb564267c9p+0, 0x1.768069c1a861dp+0,
        0x1.77024b1ab6e09p+0, 0x1.7784597eeba8fp+0, 0x1.780694fde5d3fp+0,
        0x1.7888fda749e5dp+0, 0x1.790b938ac1cf6p+0, 0x1.798e56b7fcf03p+0,
        0x1.7a11473eb0187p+0, 0x1.7a94652e958aap+0, 0x1.7b17b0976cfdbp+0,
        0x1.7b9b2988fb9ecp+0, 0x1.7c1ed0130c132p+0, 0x1.7ca2a4456e7a3p+0,
        0x1.7d26a62ff86f0p+0, 0x1.7daad5e2850acp+0, 0x1.7e2f336cf4e62p+0,
        0x1.7eb3bedf2e1b9p+0, 0x1.7f3878491c491p+0, 0x1.7fbd5fbab091fp+0,
        0x1.80427543e1a12p+0, 0x1.80c7b8f4abaa9p+0, 0x1.814d2add106d9p+0,
        0x1.81d2cb0d1736ap+0, 0x1.82589994cce13p+0, 0x1.82de968443d9ap+0,
        0x1.8364c1eb941f7p+0, 0x1.83eb1bdadb46dp+0, 0x1.8471a4623c7adp+0,
        0x1.84f85b91e07f1p+0, 0x1.857f4179f5b21p+0, 0x1.8606562ab00ecp+0,
        0x1.868d99b4492edp+0, 0x1.87150c27004c2p+0, 0x1.879cad931a436p+0,
        0x1.88247e08e1957p+0, 0x1.88ac7d98a6699p+0, 0x1.8934ac52be8f7p+0,
        0x1.89bd0a478580fp+0, 0x1.8a4597875c644p+0, 0x1.8ace5422aa0dbp+0,
        0x1.8b574029db01ep+0, 0x1.8be05bad61778p+0, 0x1.8c69a6bdb5598p+0,
        0x1.8cf3216b5448cp+0, 0x1.8d7ccbc6c19e6p+0, 0x1.8e06a5e0866d9p+0,
        0x1.8e90afc931857p+0, 0x1.8f1ae99157736p+0, 0x1.8fa553499284bp+0,
        0x1.902fed0282c8ap+0, 0x1.90bab6ccce12cp+0, 0x1.9145b0b91ffc6p+0,
        0x1.91d0dad829e70p+0, 0x1.925c353aa2fe2p+0, 0x1.92e7bff148396p+0,
        0x1.93737b0cdc5e5p+0, 0x1.93ff669e2802bp+0, 0x1.948b82b5f98e5p+0,
        0x1.9517cf65253d1p+0, 0x1.95a44cbc8520fp+0, 0x1.9630faccf9243p+0,
        0x1.96bdd9a7670b3p+0, 0x1.974ae95cba768p+0, 0x1.97d829fde4e50p+0,
        0x1.98659b9bddb5bp+0, 0x1.98f33e47a22a2p+0, 0x1.9981121235681p+0,
        0x1.9a0f170ca07bap+0, 0x1.9a9d4d47f2598p+0, 0x1.9b2bb4d53fe0dp+0,
        0x1.9bba4dc5a3dd3p+0, 0x1.9c49182a3f090p+0, 0x1.9cd81414380f2p+0,
        0x1.9d674194bb8d5p+0, 0x1.9df6a0bcfc15ep+0, 0x1.9e86319e32323p+0,
        0x1.9f15f4499c647p+0, 0x1.9fa5e8d07f29ep+0, 0x1.a0360f4424fcbp+0,
        0x1.a0c667b5de565p+0, 0x1.a156f23701b15p+0, 0x1.a1e7aed8eb8bbp+0,
        0x1.a2789dacfe68cp+0, 0x1.a309bec4a2d33p+0, 0x1.a39b1231475f7p+0,
        0x1.a42c980460ad8p+0, 0x1.a4be504f696b1p+0, 0x1.a5503b23e255dp+0,
        0x1.a5e25893523d4p+0, 0x1.a674a8af46052p+0, 0x1.a7072b8950a73p+0,
        0x1.a799e1330b358p+0, 0x1.a82cc9be14dcap+0, 0x1.a8bfe53c12e59p+0,
        0x1.a95333beb0b7ep+0, 0x1.a9e6b5579fdbfp+0, 0x1.aa7a6a1897fd2p+0,
        0x1.ab0e521356ebap+0, 0x1.aba26d59a09eep+0, 0x1.ac36bbfd3f37ap+0,
        0x1.accb3e100301ep+0, 0x1.ad5ff3a3c2774p+0, 0x1.adf4dcca5a413p+0,
        0x1.ae89f995ad3adp+0, 0x1.af1f4a17a4735p+0, 0x1.afb4ce622f2ffp+0,
        0x1.b04a868742ee4p+0, 0x1.b0e07298db666p+0, 0x1.b17692a8fa8cdp+0,
        0x1.b20ce6c9a8952p+0, 0x1.b2a36f0cf3f3ap+0, 0x1.b33a2b84f15fbp+0,
        0x1.b3d11c43bbd62p+0, 0x1.b468415b749b1p+0, 0x1.b4ff9ade433c6p+0,
        0x1.b59728de5593ap+0, 0x1.b62eeb6ddfc87p+0, 0x1.b6c6e29f1c52ap+0,
        0x1.b75f0e844bfc6p+0, 0x1.b7f76f2fb5e47p+0, 0x1.b89004b3a7804p+0,
        0x1.b928cf22749e4p+0, 0x1.b9c1ce8e77680p+0, 0x1.ba5b030a1064ap+0,
        0x1.baf46ca7a67a7p+0, 0x1.bb8e0b79a6f1fp+0, 0x1.bc27df9285775p+0,
        0x1.bcc1e904bc1d2p+0, 0x1.bd5c27e2cb5e5p+0, 0x1.bdf69c3f3a207p+0,
        0x1.be91462c95b60p+0, 0x1.bf2c25bd71e09p+0, 0x1.bfc73b0468d30p+0,
        0x1.c06286141b33dp+0, 0x1.c0fe06ff301f4p+0, 0x1.c199bdd85529cp+0,
        0x1.c235aab23e61ep+0, 0x1.c2d1cd9fa652cp+0, 0x1.c36e26b34e065p+0,
        0x1.c40ab5fffd07ap+0, 0x1.c4a77b9881650p+0, 0x1.c544778fafb22p+0,
        0x1.c5e1a9f8630adp+0, 0x1.c67f12e57d14bp+0, 0x1.c71cb269e601fp+0,
        0x1.c7ba88988c933p+0, 0x1.c8589584661a1p+0, 0x1.c8f6d9406e7b5p+0,
        0x1.c99553dfa8313p+0, 0x1.ca3405751c4dbp+0, 0x1.cad2ee13da7cbp+0,
        0x1.cb720dcef9069p+0, 0x1.cc1164b994d23p+0, 0x1.ccb0f2e6d1675p+0,
        0x1.cd50b869d8f0fp+0, 0x1.cdf0b555dc3fap+0, 0x1.ce90e9be12cb9p+0,
        0x1.cf3155b5bab74p+0, 0x1.cfd1f95018d17p+0, 0x1.d072d4a07897cp+0,
        0x1.d113e7ba2c38cp+0, 0x1.d1b532b08c968p+0, 0x1.d256b596f948cp+0,
        0x1.d2f87080d89f2p+0, 0x1.d39a638197a3cp+0, 0x1.d43c8eacaa1d6p+0,
        0x1.d4def2158a91fp+0, 0x1.d5818dcfba487p+0, 0x1.d62461eec14bep+0,
        0x1.d6c76e862e6d3p+0, 0x1.d76ab3a99745bp+0, 0x1.d80e316c98398p+0,
        0x1.d8b1e7e2d479dp+0, 0x1.d955d71ff6075p+0, 0x1.d9f9ff37adb4ap+0,
        0x1.da9e603db3285p+0, 0x1.db42fa45c4dfdp+0, 0x1.dbe7cd63a8315p+0,
        0x1.dc8cd9ab294e4p+0, 0x1.dd321f301b460p+0, 0x1.ddd79e065807dp+0,
        0x1.de7d5641c0658p+0, 0x1.df2347f63c159p+0, 0x1.dfc97337b9b5fp+0,
        0x1.e06fd81a2ece1p+0, 0x1.e11676b197d17p+0, 0x1.e1bd4f11f8220p+0,
        0x1.e264614f5a129p+0, 0x1.e30bad7dcee90p+0, 0x1.e3b333b16ee12p+0,
        0x1.e45af3fe592e8p+0, 0x1.e502ee78b3ff6p+0, 0x1.e5ab2334ac7eep+0,
        0x1.e653924676d76p+0, 0x1.e6fc3bc24e350p+0, 0x1.e7a51fbc74c83p+0,
        0x1.e84e3e4933c7ep+0, 0x1.e8f7977cdb740p+0, 0x1.e9a12b6bc3181p+0,
        0x1.ea4afa2a490dap+0, 0x1.eaf503ccd2be5p+0, 0x1.eb9f4867cca6ep+0,
        0x1.ec49c80faa594p+0, 0x1.ecf482d8e67f1p+0, 0x1.ed9f78d802dc2p+0,
        0x1.ee4aaa2188510p+0, 0x1.eef616ca06dd6p+0, 0x1.efa1bee615a27p+0,
        0x1.f04da28a52e59p+0, 0x1.f0f9c1cb6412ap+0, 0x1.f1a61cbdf5be7p+0,
        0x1.f252b376bba97p+0, 0x1.f2ff860a70c22p+0, 0x1.f3ac948dd7274p+0,
        0x1.f459df15b82acp+0, 0x1.f50765b6e4540p+0, 0x1.f5b5288633625p+0,
        0x1.f6632798844f8p+0, 0x1.f7116302bd526p+0, 0x1.f7bfdad9cbe14p+0,
        0x1.f86e8f32a4b45p+0, 0x1.f91d802243c89p+0, 0x1.f9ccadbdac61dp+0,
        0x1.fa7c1819e90d8p+0, 0x1.fb2bbf4c0ba54p+0, 0x1.fbdba3692d514p+0,
        0x1.fc8bc4866e8adp+0, 0x1.fd3c22b8f71f1p+0, 0x1.fdecbe15f6314p+0,
        0x1.fe9d96b2a23d9p+0, 0x1.ff4eaca4391b6p+0,
    };
    static const double fastbp_exp2_tail[FASTBP_EXP_N] = {
        0x0.0p+0, -0x1.5d87ade1f60d5p-56, -0x1.4e82fc61851acp-55,
        0x1.bffdaa7ac4bacp-54, 0x1.b3b4f1a88bf6ep-54, 0x1.5c18e5ae0563ap-56,
        -0x1.2985dd8521d32p-55, -0x1.05b1125cf49a5p-56, -0x1.160139cd8dc5dp-56,
        0x1.f879abbff3f87p-54, 0x1.51e617061bfbdp-57, 0x1.b14003824712ap-54,
        -0x1.05e7a108766d1p-54, 0x1.1cbf0f38af658p-57, 0x1.45fad437fa426p-55,
        -0x1.a3316383dcbc5p-54, 0x1.cd2523567f613p-55, 0x1.901c9e0e797fdp-54,
        -0x1.54529642b232fp-54, -0x1.9b3236d111646p-55, -0x1.bce8023f98efap-55,
        -0x1.cb191be99b1b0p-55, 0x1.293708ef5c32ep-55, -0x1.acb71e83765b7p-54,
        0x1.0f74e61e6c861p-57, 0x1.cd3e58b03697ep-58, -0x1.5b9280905b2a4p-54,
        -0x1.bfb07d4755452p-55, 0x1.0a3e45b33d399p-54, 0x1.aedeb3e7b14cdp-55,
        0x1.4f31f32c4b7e7p-55, 0x1.a8eb1f3d914b4p-54, 0x1.79aa65d837b6dp-54,
        -0x1.5b9eb0402507bp-55, 0x1.407fb30d06420p-54, -0x1.3f0f225bbf3eep-54,
        0x1.eb51a92fdeffcp-55, -0x1.c3fe7282d1784p-54, -0x1.a5d04b3b9911bp-54,
        0x1.c8be44bf4cde8p-54, 0x1.ebe3d702f9cd1p-60, 0x1.20c5444c93c44p-55,
        -0x1.37a01f0739546p-54, -0x1.4c6baeb580d7ap-55, -0x1.a033489906e0bp-57,
        0x1.657aa1b0d9f83p-55, 0x1.b8268b04ef0a5p-55, 0x1.2f2c7fd6ee145p-57,
        -0x1.556522a2fbd0ep-54, -0x1.b0b2789925e90p-57, -0x1.ac46e44a2ebccp-54,
        -0x1.3aad17d197faep-54, -0x1.080ef8c4eea55p-58, -0x1.89c464a07ad70p-54,
        -0x1.5704e90c9f860p-57, -0x1.2c338fce197f4p-56, -0x1.1c923b9d5f416p-54,
        -0x1.dca724cea0eb6p-57, -0x1.97cea57e46280p-55, 0x1.64770b955d34dp-59,
        0x1.0d3e3e95c55afp-55, -0x1.62811c114424fp-54, 0x1.6f01429e2b9d2p-58,
        0x1.ec58e74904dd4p-55, -0x1.01b15eaa59348p-55, 0x1.d63b0ab2d5bbfp-55,
        0x1.e653b2459034bp-57, -0x1.ca9effbeeac92p-54, -0x1.f1ff055de323dp-55,
        0x1.bda920de0f6e2p-55, 0x1.2cc7ea345b7dcp-54, -0x1.a597f9a5ff71cp-54,
        0x1.b898c3f1353bfp-55, 0x1.0835b125aa573p-58, 0x1.57bfb2876ea9ep-54,
        0x1.aaa13d61aec1fp-55, -0x1.6d99c7611eb26p-54, 0x1.a4f81aa7110bdp-55,
        0x1.cdc1873af2155p-55, -0x1.817fd6a313e3ep-57, 0x1.aecf73e3a2f60p-54,
        -0x1.6236af85fd26ap-54, -0x1.493684653a131p-54, 0x1.795eb4523abe7p-56,
        -0x1.fe782cb86389dp-55, 0x1.fe58b91b40095p-55, -0x1.8e2899077520ap-54,
        0x1.1ecaa860c614ap-54, 0x1.a6f4144a6c38dp-55, -0x1.e45c83ba0bbcbp-60,
        0x1.120fcd4f59273p-54, -0x1.9fd3bea07b4eep-61, 0x1.07a05b0e4047dp-55,
        0x1.7f1c7350e256dp-55, 0x1.9b788c188c9b8p-55, 0x1.20dac6c124f4fp-59,
        0x1.68efde3a8a894p-54, -0x1.9501d09bc09fdp-54, 0x1.77afbca90ef84p-55,
        0x1.3baf864dc8675p-56, 0x1.75e18f274487dp-55, 0x1.1b0575c1eaf54p-54,
        0x1.1512f082876eep-54, -0x1.0364bc9ce33abp-54, 0x1.0472b981fe7f2p-55,
        -0x1.548165d85ed32p-56, 0x1.a02f0c7d75ec6p-54, 0x1.c3b977a68e32cp-56,
        -0x1.6b87b3f71085ep-54, -0x1.3a255f697ecfep-54, -0x1.03297e78260bfp-55,
        0x1.d2d19edc1e550p-55, 0x1.2f7e16d09ab31p-55, -0x1.6b2173113dd8cp-56,
        -0x1.5b77e5ccd9fbfp-54, 0x1.11aa5f853590bp-55, -0x1.d219b1a6fbffap-60,
        0x1.1d61a34c8aa02p-57, -0x1.1e75c40b4251ep-54, -0x1.1f892bf6b286dp-54,
        0x1.b3782720c0ab4p-55, 0x1.590c65c20e680p-56, 0x1.8a911f1f7785ap-54,
        0x1.6fe320b5c1e9dp-55, 0x1.e149289cecb8fp-57, -0x1.03cd8b2f25790p-54,
        -0x1.1e7c998db7dbbp-57, 0x1.b3bf786a54a87p-56, 0x1.34d754db0abb6p-55,
        0x1.4bb6c41732885p-56, 0x1.5425c11faadf4p-55, -0x1.9d7399abb9a8bp-54,
        0x1.64201e2ac744cp-55, -0x1.451d60c6ac9ebp-58, -0x1.79517a03e2847p-54,
        0x1.787a210ceafd9p-55, 0x1.fdd395dd3f84ap-55, -0x1.88d1e4629943dp-55,
        -0x1.00e2a46da4beep-55, -0x1.3369c544088b6p-54, -0x1.6a3803b8e5b04p-55,
        0x1.5373ce4eb6dfbp-55, -0x1.7430803972b34p-55, 0x1.3adec8265a67fp-55,
        -0x1.24aedcc4b5068p-54, -0x1.35388bcac6bc5p-55, -0x1.54de30ae02d94p-54,
        0x1.27cdb4e4b6640p-56, -0x1.907f81b512d8ep-54, 0x1.6c2696a26af35p-55,
        -0x1.4f2487e1c03ecp-54, 0x1.88f6ff06b979ap-55, -0x1.1d1e83e9436d2p-56,
        -0x1.9d5efaabc2030p-55, 0x1.14a5432fcb2f4p-54, -0x1.6b8867f91c9d6p-56,
        -0x1.91919b3ce1b15p-54, 0x1.4c9c0b5157fe6p-54, 0x1.9c3bba5562a2fp-56,
        -0x1.2455345b51c8ep-57, 0x1.59f48a72a4c6dp-55, -0x1.3331de45477d0p-54,
        -0x1.5a71612e21658p-55, -0x1.5f84d39b39b16p-54, -0x1.312607a28698ap-54,
        -0x1.2ba4dc7c4d562p-56, 0x1.6421f6f1d24d6p-55, -0x1.44f25dc02691fp-55,
        -0x1.8a78f4817895bp-58, -0x1.88d328eb9b501p-55, -0x1.348a6815fce65p-54,
        0x1.f0bec42ddb15ap-56, -0x1.c2c9b67499a1bp-56, -0x1.15f0a2b9cd452p-57,
        0x1.35c43984d9871p-55, -0x1.c2e465a919e1dp-55, 0x1.363ed60c2ac11p-59,
        -0x1.65dfd02bd08f1p-55, -0x1.32afc8d9473a0p-57, -0x1.e68cec89b1762p-55,
        0x1.666093b0664efp-54, -0x1.8ae858eb682cap-59, -0x1.5fc5e44de020ep-54,
        0x1.dd71277c0915fp-58, 0x1.ecce1daa10379p-57, 0x1.2001325ecd7fbp-54,
        -0x1.ea0148327c42fp-56, 0x1.5ace6e2870332p-57, 0x1.3ff8e3f0f1230p-54,
        -0x1.595c55690ffafp-54, -0x1.a843ad1a88022p-56, -0x1.b401ba9fb5199p-55,
        0x1.690cebb7aafb0p-56, 0x1.df82bf324cc57p-57, 0x1.92ca3bf144e63p-55,
        0x1.7cae38641c7bbp-54, 0x1.31dbdeb54e077p-54, 0x1.2d80c5c4a2b67p-57,
        -0x1.02c99b04aa8b0p-54, 0x1.f39c10d12eaf0p-55, -0x1.f94340071a38ep-55,
        -0x1.0b582d74a55d9p-55, 0x1.3e34f67e67118p-56, -0x1.b4e327ff434cap-57,
        -0x1.7deccdc93a349p-55, -0x1.92dca38593e20p-58, -0x1.5a3b1197ba0f0p-56,
        -0x1.5daca9994833ep-55, -0x1.8dec6bd0f385fp-56, -0x1.80b4321bc6daep-54,
        0x1.1bd2888075068p-55, -0x1.390afec5241c5p-55, -0x1.61246ec7b5cf6p-55,
        0x1.f15cdafe7d586p-55, -0x1.96be8ae89ef8fp-55, -0x1.10aa91ae9b67fp-54,
        0x1.3350518fdd78ep-54, 0x1.57e1b67462375p-54, -0x1.8e6ac90348602p-55,
        0x1.124d5051552a7p-55, 0x1.b98b72f8a9b05p-56, -0x1.ca103952ecf1fp-60,
        -0x1.1af7f1365c3acp-54, 0x1.73345c02a4fd6p-56, 0x1.063e1e21c5409p-54,
        -0x1.09d2a0fce20f2p-54, -0x1.43a3540d1898ap-54, -0x1.24f2cb4f81746p-54,
        0x1.4c7855019c6eap-60, -0x1.43592a0a9846bp-54, -0x1.51f58ddaa8090p-54,
        -0x1.56bc85d444f4fp-54, 0x1.432e62b64c035p-54, 0x1.14d1e4218319fp-54,
        -0x1.2e1648e50a17cp-55, 0x1.71c93709313f4p-54, -0x1.ce44a6199769fp-55,
        0x1.f88303b60d222p-56, 0x1.5f30eda98a575p-54, 0x1.0125ca18d4b5bp-56,
        -0x1.c33c53bef4da8p-55, 0x1.592ea73798b11p-54, 0x1.17ecda8a72159p-54,
        -0x1.371d6d7d75739p-54, -0x1.45378892be9aep-55, -0x1.ac05fd996f807p-55,
        -0x1.345f3cee1ae6ep-54, -0x1.1f5067d03653ap-54, -0x1.3cedd78565858p-54,
        0x1.17339c86ce3adp-54, -0x1.5c33fdf910406p-55, -0x1.7e66065ba2500p-56,
        0x1.710aa807e1964p-58, 0x1.64c827ee6b49ap-54, 0x1.1079ab5789604p-55,
        -0x1.28311a3c73480p-54, -0x1.3b3efbf5e2228p-54, 0x1.82c79e185e981p-55,
        0x1.27df161cd7778p-56, -0x1.b48cea80b043bp-55, -0x1.a12ad8734b982p-57,
        -0x1.f4863bc8e5180p-59, 0x1.3f9924a05b767p-54, 0x1.54835dd4b7548p-54,
        -0x1.367efb86da9eep-57, -0x1.bf41f59b59f8ap-55, -0x1.7557939a8b5efp-55,
        -0x1.f652fde52775cp-55, -0x1.0dc3d54e08851p-55, -0x1.b0300defbcf98p-56,
        0x1.1ed2f56fa9d1ap-58, -0x1.9dab646035dc0p-55, -0x1.81f647e5a3ecfp-56,
        -0x1.1f0c230588ddep-54, -0x1.8e67a9006c909p-55, 0x1.106450507a28cp-54,
        -0x1.6ee4ac08b7db0p-55, -0x1.129729a10f3a0p-54, 0x1.6597566977ac8p-55,
        0x1.81a70a5124f67p-56, -0x1.619321e55e68ap-55, 0x1.41626ea62646dp-54,
        0x1.2c0b7028a5c3ap-54, -0x1.40b9f54365b7cp-54, 0x1.09ccb5e09d4d3p-54,
        0x1.73455e0e826c1p-55, 0x1.a30faf49cc78cp-55, 0x1.4f006ad874e3ep-54,
        -0x1.b32dcb94da51dp-56, -0x1.f6d693d0973bbp-55, -0x1.2dad3519d7b5bp-54,
        0x1.8c5ee2b7e7848p-58, 0x1.4ecfd5467c06bp-54, -0x1.8b25e045d207bp-55,
        0x1.7d51410fd15c2p-55, -0x1.9cb3314060ca7p-57, 0x1.5ebe1abd66c55p-57,
        0x1.7a0b15d19e0bbp-55, -0x1.60a3629969871p-56, 0x1.4aa7212bfa73cp-54,
        -0x1.8a1c52fb3cf42p-55, -0x1.1e688272a8a12p-55, 0x1.b18c6e3fdef5dp-55,
        0x1.ab7b7112ec9d5p-59, -0x1.369b6f13b3734p-54, 0x1.a1e274eed4476p-55,
        0x1.0ec1ddcb1390ap-54, 0x1.4a533a59324dap-54, -0x1.05e843a19ff1ep-55,
        0x1.a56d2760d087dp-56, -0x1.22cea4f3afa1ep-58, 0x1.1682c1c6e8b05p-54,
        -0x1.4d450d872576ep-54, 0x1.9ea99cf7a9591p-55, 0x1.c88549b958471p-56,
        -0x1.9e57d8f92ff8ep-58, 0x1.0ad675b0e8a00p-54, 0x1.09b176e05a9cdp-54,
        0x1.31143962f7877p-54, 0x1.11607f1952c95p-56, 0x1.db72fc1f0eab4p-55,
        0x1.69608f0f86431p-55, 0x1.3e9e96f112479p-54, -0x1.f1ced15c5c5c0p-56,
        -0x1.5b6609cc5e7ffp-57, 0x1.14b97be3f7b4ep-57, -0x1.dac42a4a38df0p-55,
        0x1.1c1701c359530p-55, 0x1.bf68359f35f44p-56, -0x1.edb1bf6809287p-55,
        0x1.b99dd98b1ed84p-55, -0x1.ba58ce7a736d3p-55, -0x1.3091fa71e3d83p-54,
        -0x1.3fc025e1db9cep-54, -0x1.885ad50cbb750p-56, -0x1.d737c7d71382ep-55,
        -0x1.da9b88b6c1e29p-58, 0x1.ae88c43905293p-57, -0x1.2d5e85f3e0301p-55,
        -0x1.3d1f7661fe51bp-54, -0x1.c23f97c90b959p-57, 0x1.51b68797ffc1cp-57,
        -0x1.1669428996971p-58, 0x1.4579c5ceed70bp-58, -0x1.2434322f4f9aap-54,
        0x1.7298413381667p-55, 0x1.1f2b2c1c4c014p-56, -0x1.05000be64e965p-54,
        -0x1.5ca6cd7668e4bp-55, -0x1.9fb12e3454b73p-55, -0x1.294f304f166b6p-54,
        0x1.be2a03697693bp-56, 0x1.1affc2b91ce27p-56, 0x1.0622b15810eeap-54,
        -0x1.a1e58414c07d3p-55, 0x1.9a5ecc875d327p-65, 0x1.dd235e10a73bbp-57,
        0x1.8ea486a3350efp-55, -0x1.9740b58a20091p-56, -0x1.a2ee551d4c40fp-56,
        -0x1.7c50422622263p-55, 0x1.9c31f7e38028bp-55, 0x1.165830a2b96c2p-54,
        -0x1.fac13f4e005a3p-58, 0x1.b1c86e3e231d5p-55, 0x1.d8aced7162e89p-56,
        -0x1.03d5cbe27874bp-54, -0x1.48f50cea7269fp-55, -0x1.1bbd1d3bcbb15p-54,
        0x1.21eb9a08a0542p-55, 0x1.986178980fce0p-58, -0x1.133a953131cfdp-57,
        0x1.0cc319cee31d2p-54, 0x1.9e95e6f4a0ae4p-55, -0x1.9472975b1f2a5p-55,
        -0x1.0260cf07cb311p-54, 0x1.469846e735ab3p-55, 0x1.bca400a7b939dp-62,
        0x1.d8157a34b7e7fp-56, 0x1.140bc34dfc19fp-54, -0x1.2dfcd978e9db4p-55,
        -0x1.c9b1da461ab87p-55, 0x1.c8a4e231ebb7dp-55, 0x1.c115f23ebea8ep-55,
        0x1.c1a7792cb3387p-55, -0x1.dcab99f23f84ep-57, -0x1.88c8d11a142e5p-55,
        0x1.0a43e8b7e4bfep-57, -0x1.07b8f4ad1d9fap-54, 0x1.15b1397075f04p-54,
        0x1.89c2ea41433c7p-55, -0x1.39f7a1f04d2b0p-55, -0x1.5c3d956dcaebap-58,
        -0x1.6a510f31e13e6p-55, -0x1.274aedac8ff80p-56, -0x1.2887ea88e7340p-54,
        -0x1.0a40e3da6f640p-54, -0x1.e57ac604759bap-57, 0x1.5c620ce76df06p-55,
        0x1.e6c6db4f83226p-55, -0x1.8d6f438ad9334p-57, -0x1.d1bf10460dba0p-55,
        -0x1.fda52e1b51e41p-55, 0x1.e5d80813dddfcp-55, -0x1.1eee26b588a35p-54,
        0x1.caff9640f2dcbp-55, -0x1.2141a7b3e2cd8p-60, 0x1.a77557fd62db3p-56,
        0x1.4ffd70a5fddcdp-56, -0x1.51ba6128db749p-57, -0x1.02899507554e5p-60,
        -0x1.c0ffefdc5e251p-56, -0x1.1bdfbfa9298acp-54, -0x1.b6cd058bfd6fap-55,
        -0x1.0dda2d4c0010cp-55, 0x1.23759b8aca76dp-54, 0x1.36eae30af0cb3p-56,
        -0x1.95498a73dac7dp-55, -0x1.a007daadf8d68p-55, 0x1.51de924583108p-55,
        0x1.ee3325c9ffd94p-55, -0x1.c5fe4051ba06cp-55, 0x1.36909391181d3p-55,
        -0x1.d1816c0a9ac07p-57, 0x1.4e08fd10959acp-55, -0x1.af5c67c4e8235p-56,
        -0x1.11cd7dbdf9547p-55, -0x1.304ef0045d575p-55, 0x1.3cdaf384e1a67p-57,
        0x1.725f94f910375p-55, -0x1.ac28b7bef6621p-56, 0x1.b53e99f9191e8p-56,
        0x1.76b2c6c921968p-57, -0x1.10a79e6d7e2b8p-55, -0x1.030587207b9e1p-56,
        0x1.40635f6d2a9c0p-55, -0x1.08a1883ccb5d2p-55, 0x1.49eeef9ec910cp-58,
        -0x1.cc734592af7fcp-55, -0x1.335827ffb9dcep-55, -0x1.fad5d3ffffa6fp-55,
        0x1.45563980ef762p-57, 0x1.7752a44f587e8p-55, -0x1.cd0205eb2aab2p-55,
        -0x1.00dae3875a949p-54, -0x1.aab80ceab2b4ap-55, 0x1.5b66fefeef52ep-55,
        -0x1.f870f40a8ba1bp-55, 0x1.4a385a63d07a7p-56, 0x1.3c119f18464c5p-55,
        0x1.159d9d908a96ep-58, -0x1.a628c2be4e7c7p-58, -0x1.2919e2040220fp-55,
        -0x1.2550d76be719ap-56, 0x1.c254d16117a68p-55, -0x1.2090274667d12p-55,
        0x1.e5a50d5c192acp-55, 0x1.5f7d28150cac4p-56, -0x1.d8c329fbd0e03p-55,
        0x1.90de9296f4cd1p-55, 0x1.43a59ac016b4bp-55, 0x1.32ff9978b34bcp-55,
        -0x1.ea6e6fbd5f2a6p-55, -0x1.303b63dda1980p-56, -0x1.2d52107b43e1fp-55,
        -0x1.1f2ba385f2f95p-55, -0x1.3e8e3eab2cbb4p-57, 0x1.68d9144ae12fcp-56,
        -0x1.92ab93b470dc9p-55, 0x1.53687f542403bp-55, -0x1.b7966cd0d2cd9p-55,
        -0x1.36ed2de40b407p-56, 0x1.4b604603a88d3p-56, -0x1.14ef56c770f3bp-57,
        -0x1.76caa4c2ff1cfp-56, 0x1.df7d1353d8e88p-55, 0x1.3c5ec519d7271p-55,
        -0x1.50bed64091b8ap-55, -0x1.1d5fc525d9940p-55, 0x1.9d852381c317fp-55,
        -0x1.ff7128fd391f0p-55, 0x1.8a00e3cca04c4p-57, 0x1.55cd8aaea3d21p-55,
        -0x1.a1f25ce94cae7p-58, -0x1.dae98e223747dp-55, -0x1.fb5f3ee307976p-57,
        0x1.269947c2bed4ap-55, 0x1.37e8ae802b851p-56, 0x1.ec3bc41aa2008p-55,
        0x1.75119560e34afp-55, -0x1.3b6137e9afe9ep-55, -0x1.431c3840929c6p-56,
        0x1.42b94c3a9eb32p-55, -0x1.cb472d2e86b99p-55, -0x1.9fa74878ba7c7p-57,
        0x1.3f5df2fde16a8p-55, 0x1.a64a931d185eep-55, 0x1.eef18336b62e3p-55,
        0x1.01f3a75ee0efep-54, 0x1.0d23f87b50a2ap-55, -0x1.e37bae43be3edp-55,
        0x1.302dee657c8e6p-55, -0x1.16a9ce6ed84fap-58, -0x1.b0caa080df170p-56,
        0x1.7893b4d91cd9dp-56, 0x1.617a9f2fd24e5p-56, -0x1.99c7db2effc76p-57,
        0x1.5f103b8fd5ca7p-56, 0x1.305c14160cc89p-58, 0x1.e70b094fa075ap-55,
        0x1.4b458677f9840p-57, -0x1.2ec9a3e5d680ap-56,
    };

    #define FASTBP_EXP_SHIFT 0x4338000000000000ull  /* the bits of 1.5 * 2^52 */
    #define FASTBP_EXP_K_EDGE 516000  /* |x| < 698.6: s and the result are normal */

    /* r, j, k and s's bits before the correction at the ends: bits(hi) + (e << 52) */
    static inline double fastbp_exp_reduce(double x, uint64_t *j, int64_t *k, uint64_t *sbits) {
        const double shift = 0x1.8p52;
        double z = x * fastbp_exp_per_step, shifted = z + shift, kd, r, hi;
        uint64_t kb;
    #ifdef __SSE4_1__
        kd = __builtin_rint(z);  /* the same integer, one rounding instruction sooner */
    #else
        kd = shifted - shift;
    #endif
        memcpy(&kb, &shifted, 8);
        *j = kb & (FASTBP_EXP_N - 1);
        *k = (int64_t)(kb - FASTBP_EXP_SHIFT);
        hi = fastbp_exp2_hi[*j];  /* a load of a double, then its bits: gcc */
        memcpy(sbits, &hi, 8);    /* sees that it aliases no stored array */
        *sbits += (kb - FASTBP_EXP_SHIFT - *j) << 43;  /* (k - j) / N << 52 */
        r = x - kd * fastbp_exp_step_hi;
        return r - kd * fastbp_exp_step_lo;
    }

    /* p, k, and s's bits (see fastbp_exp_reduce) */
    static inline double fastbp_exp_reduced(double x, int64_t *k, uint64_t *sbits) {
        uint64_t j;
        double r = fastbp_exp_reduce(x, &j, k, sbits), r2 = r * r;
        return ((r + fastbp_exp2_tail[j]) + r2 * 0.5)
               + (r2 * r) * (0x1.5555555555555p-3 + r * 0x1.5555555555555p-5);
    }

    static inline double fastbp_exp_lanes(double x) {
        uint64_t sb, cb, tb, low, high;
        uint64_t over = -(uint64_t)(x > 0x1.62e42fefa39efp+9);     /* ln(DBL_MAX) */
        uint64_t under = -(uint64_t)(x < -0x1.74910d52d3052p+9);   /* ln(2^-1075) */
        int64_t k;
        double p = fastbp_exp_reduced(x, &k, &sb), s, c, t;
        low = -(uint64_t)(k < -FASTBP_EXP_K_EDGE);
        high = -(uint64_t)(k > FASTBP_EXP_K_EDGE);
        cb = 0x3ff0000000000000ull - (low & (64ull << 52)) + (high & (1ull << 52));
        sb = sb + (low & (64ull << 52)) - (high & (1ull << 52));
        memcpy(&s, &sb, 8);
        memcpy(&c, &cb, 8);
        t = (s + s * p) * c;
        memcpy(&tb, &t, 8);
        tb = (tb & ~(over | under)) | (over & 0x7ff0000000000000ull);
        memcpy(&t, &tb, 8);
        return t;
    }

    #if defined(FASTBP_SCALAR_LOOPS) || !defined(__AVX2__)
    /* out of line: the ends of the range are rare, the step's code stays small */
    static __attribute__((noinline)) double fastbp_exp_ends(double x) {
        return fastbp_exp_lanes(x);
    }

    static inline double fastbp_exp(double x) {
        uint64_t sb;
        int64_t k;
        double p = fastbp_exp_reduced(x, &k, &sb), s;
        if (__builtin_expect(k < -FASTBP_EXP_K_EDGE || k > FASTBP_EXP_K_EDGE, 0))
            return fastbp_exp_ends(x);
        memcpy(&s, &sb, 8);
        return s + s * p;
    }
    #else
    #define fastbp_exp fastbp_exp_lanes
    #endif

    /* float: the same reduction in double, a shorter polynomial (float needs
       2^-25: p = (r + tail) + r^2/2, whose next term is below 2^-34), and no
       scaling in two steps: for -104 <= x <= 89 the double result is normal,
       and its rounding to float overflows to inf or goes subnormal once.
       Beyond those ends, inf or 0. */
    static inline float fastbp_expf_lanes(float x) {
        uint64_t sb, j;
        uint32_t tb;
        uint32_t over = -(uint32_t)(x > 89.0f), under = -(uint32_t)(x < -104.0f);
        int64_t k;
        double r = fastbp_exp_reduce((double)x, &j, &k, &sb), p, s;
        float t;
        p = (r + fastbp_exp2_tail[j]) + (r * r) * 0.5;
        memcpy(&s, &sb, 8);
        t = (float)(s + s * p);
        memcpy(&tb, &t, 4);
        tb = (tb & ~(over | under)) | (over & 0x7f800000u);
        memcpy(&t, &tb, 4);
        return t;
    }

    #if defined(FASTBP_SCALAR_LOOPS) || !defined(__AVX2__)
    static inline float fastbp_expf(float x) {
        uint64_t sb, j;
        int64_t k;
        double r, p, s;
        if (__builtin_expect(x > 89.0f || x < -104.0f, 0))
            return x > 0 ? __builtin_inff() : 0.0f;
        r = fastbp_exp_reduce((double)x, &j, &k, &sb);
        p = (r + fastbp_exp2_tail[j]) + (r * r) * 0.5;
        memcpy(&s, &sb, 8);
        return (float)(s + s * p);
    }
    #else
    #define fastbp_expf fastbp_expf_lanes
    #endif
    """
    double exp_double "fastbp_exp"(double x) noexcept nogil
    float exp_float "fastbp_expf"(float x) noexcept nogil
