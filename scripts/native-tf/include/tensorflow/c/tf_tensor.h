/* Shim: the tfjs-node addon includes "tensorflow/c/tf_tensor.h"; Debut declares what it uses in one header. */
#include "tensorflow/c/debut_tf_c_api.h"
