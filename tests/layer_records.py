"""One record per built-in layer, in the style of torch's ModuleInfo: how to build it (the probe), where its
numpy reference test is, the option values MATLAB refuses with layergraph's one-line error, and its ONNX
round-trip status (read from the class's `onnx` declaration). tests/test_layer_records.py runs the generic
checks over every record; tests/test_registry.py and tests/test_onnx_roundtrip.py use the probes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

import layergraph as lg
from layergraph.graph.layergraph import LayerGraph
from layergraph.layers import LAYERS
from layergraph.layers.base import Layer
from layergraph.sizes import Act, features, image, sequence

Probe = tuple[Callable[[], Layer], list[Act]]
ErrorCase = tuple[Callable[[], object], str]  # a call MATLAB refuses → the start of layergraph's one-line error

_T1 = "tests/test_layers.py::"
_T2 = "tests/test_layers_more.py::"
_T3 = "tests/test_layers_signal_groups_blocks.py::"
_TR = "tests/test_recurrent.py::"
_TA = "tests/test_attention.py::"


@dataclass(frozen=True)
class LayerRecord:
    """What the generic layer checks need to know about one built-in layer."""

    name: str  # the MATLAB constructor name
    make: Callable[[], Layer]  # the probe layer (non-default options where it has any)
    inputs: list[Act]  # the probe's input sizes (none for an input layer)
    reference: str | None = None  # "tests/FILE.py::test_name": the numpy test of MATLAB's formula
    errors: tuple[ErrorCase, ...] = field(default=())

    @property
    def onnx(self) -> str:
        """'back' (export imports back as itself), 'back from opset N; before: why', 'not back: why' or
        'none: why' (from the class)."""
        form = LAYERS[self.name].onnx
        if form is None:
            return "undeclared"
        if form.missing:
            return f"none: {form.missing}"
        if form.back_from:
            return f"back from opset {form.back_from}; before: {form.not_back}"
        return f"not back: {form.not_back}" if form.not_back else "back"


def _name5(ctor: Callable[..., object]) -> ErrorCase:
    """A layer name that is not text (MATLAB: character vector or string scalar)."""
    return (lambda: ctor(Name=5)), f"{ctor.__name__}: option 'Name' = 5 is invalid: Input should be a valid string"


def _rec(name: str, make: Callable[[], Layer], inputs: list[Act], reference: str | None = None,
         *errors: ErrorCase) -> LayerRecord:
    return LayerRecord(name, make, inputs, reference, tuple(errors))


RECORDS: list[LayerRecord] = [
    _rec("imageInputLayer", lambda: lg.imageInputLayer([5, 4, 3], Normalization="zscore", Mean=0.5,
                                                       StandardDeviation=2.0), [], _T1 + "test_input_layers",
         (lambda: lg.imageInputLayer([0, 4, 3]),
          "imageInputLayer: option 'InputSize' = [0, 4, 3] is invalid: InputSize must be [h w c] (or [h w]) "
          "positive integers"),
         (lambda: lg.imageInputLayer([4, 4, 3], Normalization="minmax"),
          "imageInputLayer: option 'Normalization' = 'minmax' is invalid")),
    _rec("featureInputLayer", lambda: lg.featureInputLayer(6, Normalization="zerocenter", Mean=1.0), [],
         _T1 + "test_input_layers",
         (lambda: lg.featureInputLayer(0),
          "featureInputLayer: option 'InputSize' = 0 is invalid: InputSize must be a positive integer")),
    _rec("fullyConnectedLayer", lambda: lg.fullyConnectedLayer(7), [image(3, 2, 4)],
         _T1 + "test_fully_connected_flattens_images_column_major",
         (lambda: lg.fullyConnectedLayer(0),
          "fullyConnectedLayer: option 'OutputSize' = 0 is invalid: OutputSize must be a positive integer"),
         (lambda: lg.fullyConnectedLayer(10, WeightsInitializer="xavier"),
          "fullyConnectedLayer: option 'WeightsInitializer' = 'xavier' is invalid")),
    _rec("projectAndReshapeLayer", lambda: lg.projectAndReshapeLayer([2, 3, 4]), [features(5)],
         _T1 + "test_project_and_reshape_is_fc_then_column_major_reshape",
         (lambda: lg.projectAndReshapeLayer([2, 3, 0]),
          "projectAndReshapeLayer: option 'OutputSize' = [2, 3, 0] is invalid: OutputSize must be [h w c] "
          "positive integers")),
    _rec("embeddingLayer", lambda: lg.embeddingLayer(6, 4), [features(1)],
         _T1 + "test_embedding_is_one_based_column_lookup",
         (lambda: lg.embeddingLayer(0, 4),
          "embeddingLayer: option 'OutputSize' = 0 is invalid: OutputSize must be a positive integer")),
    _rec("wordEmbeddingLayer", lambda: lg.wordEmbeddingLayer(6, 4, OOVMode="error"), [sequence(1, 3)],
         _T2 + "test_word_embedding_looks_up_columns_and_maps_unknown_words_to_the_last",
         (lambda: lg.wordEmbeddingLayer(6, 0),
          "wordEmbeddingLayer: option 'NumWords' = 0 is invalid: NumWords must be a positive integer"),
         (lambda: lg.wordEmbeddingLayer(6, 4, OOVMode="ignore"),
          "wordEmbeddingLayer: option 'OOVMode' = 'ignore' is invalid")),
    _rec("convolution2dLayer", lambda: lg.convolution2dLayer([3, 2], 5, Stride=2, Padding="same",
                                                             DilationFactor=[1, 2]), [image(7, 6, 3)],
         _T1 + "test_convolution_size_learnables_and_values",
         (lambda: lg.convolution2dLayer(3, 8, Padding="valid"),
          "convolution2dLayer: option 'Padding' = 'valid' is invalid: Padding must be 'same', a non-negative "
          "integer, [a b] or [t b l r]"),
         (lambda: lg.convolution2dLayer(3), "convolution2dLayer: expected 2 positional argument(s)")),
    _rec("transposedConv2dLayer", lambda: lg.transposedConv2dLayer(4, 5, Stride=2, Cropping="same"),
         [image(3, 4, 3)], _T1 + "test_transposed_convolution_size_learnables_and_values",
         (lambda: lg.transposedConv2dLayer(3, 8, Stride=0),
          "transposedConv2dLayer: option 'Stride' = 0 is invalid: Stride must be a positive integer or a vector "
          "of two positive integers")),
    _rec("batchNormalizationLayer", lambda: lg.batchNormalizationLayer(), [image(3, 3, 4)],
         _T1 + "test_batch_normalization_training_and_inference",
         (lambda: lg.batchNormalizationLayer(Epsilon=1e-9),
          "batchNormalizationLayer: option 'Epsilon' = 1e-09 is invalid: Epsilon must be at least 1e-5")),
    _rec("layerNormalizationLayer", lambda: lg.layerNormalizationLayer(), [features(5)],
         _T1 + "test_layer_normalization", _name5(lg.layerNormalizationLayer)),
    _rec("reluLayer", lambda: lg.reluLayer(), [image(3, 2, 2)], _T1 + "test_activations", _name5(lg.reluLayer)),
    _rec("leakyReluLayer", lambda: lg.leakyReluLayer(0.2), [image(3, 2, 2)], _T1 + "test_activations",
         (lambda: lg.leakyReluLayer(Scale="big"), "leakyReluLayer: option 'Scale' = 'big' is invalid")),
    _rec("eluLayer", lambda: lg.eluLayer(0.5), [image(3, 2, 2)], _T1 + "test_elu_matches_matlab_formula",
         (lambda: lg.eluLayer("big"), "eluLayer: option 'Alpha' = 'big' is invalid"),
         (lambda: lg.eluLayer(float("inf")), "eluLayer: option 'Alpha' = inf is invalid: Alpha must be finite")),
    _rec("tanhLayer", lambda: lg.tanhLayer(), [features(4)], _T1 + "test_activations", _name5(lg.tanhLayer)),
    _rec("sigmoidLayer", lambda: lg.sigmoidLayer(), [features(4)], _T1 + "test_activations",
         _name5(lg.sigmoidLayer)),
    _rec("softmaxLayer", lambda: lg.softmaxLayer(), [features(4)], _T1 + "test_activations",
         _name5(lg.softmaxLayer)),
    _rec("dropoutLayer", lambda: lg.dropoutLayer(0.3), [image(3, 2, 2)], _T1 + "test_dropout_modes",
         (lambda: lg.dropoutLayer(1), "dropoutLayer: option 'Probability' = 1 is invalid: Probability must be in "
                                      "[0, 1)")),
    _rec("concatenationLayer", lambda: lg.concatenationLayer(3, 2), [image(3, 2, 2), image(3, 2, 5)],
         _T1 + "test_concatenation_along_matlab_dimension",
         (lambda: lg.concatenationLayer(3, 2, Name=5),
          "concatenationLayer: option 'Name' = 5 is invalid: Input should be a valid string")),
    _rec("depthConcatenationLayer", lambda: lg.depthConcatenationLayer(3),
         [image(2, 2, 1), image(2, 2, 2), image(2, 2, 3)], _T1 + "test_depth_concatenation_and_addition",
         (lambda: lg.depthConcatenationLayer(0),
          "depthConcatenationLayer: option 'NumInputs' = 0 is invalid: NumInputs must be a positive integer")),
    _rec("additionLayer", lambda: lg.additionLayer(2), [features(3), features(3)],
         _T1 + "test_depth_concatenation_and_addition",
         (lambda: lg.additionLayer(0),
          "additionLayer: option 'NumInputs' = 0 is invalid: NumInputs must be a positive integer")),
    _rec("flattenLayer", lambda: lg.flattenLayer(), [image(3, 2, 4)], _T1 + "test_flatten_is_column_major",
         _name5(lg.flattenLayer)),
    _rec("resize2dLayer", lambda: lg.resize2dLayer(Scale=2), [image(3, 2, 2)],
         _T1 + "test_resize_bilinear_matches_half_pixel_formula",
         (lambda: lg.resize2dLayer(Scale=0), "resize2dLayer: Scale/OutputSize must be positive"),
         (lambda: lg.resize2dLayer(Scale=2, Method="cubic"),
          "resize2dLayer: option 'Method' = 'cubic' is invalid: Input should be 'nearest' or 'bilinear'")),
    _rec("functionLayer", lambda: lg.functionLayer("feature2image", Arguments=[[2, 3, 2]]), [features(12)],
         _T1 + "test_feature2image_function_layer_reshapes_column_major",
         (lambda: lg.functionLayer("no_such_fn"),
          "functionLayer: option 'PredictFcn' = 'no_such_fn' is invalid: no registered function 'no_such_fn'")),
    _rec("maxPooling2dLayer", lambda: lg.maxPooling2dLayer(3, Stride=2, Padding="same"), [image(5, 4, 2)],
         _T1 + "test_pooling",
         (lambda: lg.maxPooling2dLayer(0),
          "maxPooling2dLayer: option 'PoolSize' = 0 is invalid: PoolSize must be a positive integer or a vector "
          "of two positive integers")),
    _rec("averagePooling2dLayer", lambda: lg.averagePooling2dLayer(2, Stride=2), [image(4, 4, 2)],
         _T1 + "test_pooling",
         (lambda: lg.averagePooling2dLayer(2, Stride=0), "averagePooling2dLayer: option 'Stride' = 0 is invalid")),
    _rec("globalAveragePooling2dLayer", lambda: lg.globalAveragePooling2dLayer(), [image(3, 2, 4)],
         _T1 + "test_global_average_pooling", _name5(lg.globalAveragePooling2dLayer)),
    _rec("sequenceInputLayer", lambda: lg.sequenceInputLayer(3, MinLength=4, Normalization="zscore", Mean=1.0,
                                                             StandardDeviation=2.0), [],
         _T2 + "test_sequence_input_normalization_min_length_and_conv1d",
         (lambda: lg.sequenceInputLayer(0),
          "sequenceInputLayer: option 'InputSize' = 0 is invalid: InputSize must be a positive integer")),
    _rec("convolution1dLayer", lambda: lg.convolution1dLayer(3, 5, Stride=2, Padding="same",
                                                             PaddingValue="replicate"), [sequence(3, 7)],
         _T2 + "test_convolution1d_matches_matlab_formula",
         (lambda: lg.convolution1dLayer(3, 0),
          "convolution1dLayer: option 'NumFilters' = 0 is invalid: NumFilters must be a positive integer")),
    _rec("transposedConv1dLayer", lambda: lg.transposedConv1dLayer(4, 5, Stride=2, Cropping="same"),
         [sequence(3, 5)], _T2 + "test_transposed_convolution1d_matches_matlab_formula",
         (lambda: lg.transposedConv1dLayer(3, 5, Stride=0),
          "transposedConv1dLayer: option 'Stride' = 0 is invalid: Stride must be a positive integer")),
    _rec("instanceNormalizationLayer", lambda: lg.instanceNormalizationLayer(), [image(3, 3, 4)],
         _T2 + "test_instance_and_group_normalization",
         (lambda: lg.instanceNormalizationLayer(Epsilon=0),
          "instanceNormalizationLayer: option 'Epsilon' = 0 is invalid")),
    _rec("groupNormalizationLayer", lambda: lg.groupNormalizationLayer(2), [image(3, 3, 4)],
         _T2 + "test_instance_and_group_normalization",
         (lambda: lg.groupNormalizationLayer(0),
          "groupNormalizationLayer: option 'NumGroups' = 0 is invalid: NumGroups must be a positive integer, "
          "'all-channels' or 'channel-wise'")),
    _rec("geluLayer", lambda: lg.geluLayer(Approximation="tanh"), [image(3, 2, 2)],
         _T2 + "test_gelu_swish_clipped_relu",
         (lambda: lg.geluLayer(Approximation="fast"),
          "geluLayer: option 'Approximation' = 'fast' is invalid: Input should be 'none' or 'tanh'")),
    _rec("swishLayer", lambda: lg.swishLayer(), [features(4)], _T2 + "test_gelu_swish_clipped_relu",
         (lambda: lg.swishLayer("Foo", 1), "swishLayer: unknown option 'Foo'; accepted options: Name")),
    _rec("clippedReluLayer", lambda: lg.clippedReluLayer(0.5), [image(3, 2, 2)],
         _T2 + "test_gelu_swish_clipped_relu",
         (lambda: lg.clippedReluLayer(-1), "clippedReluLayer: option 'Ceiling' = -1 is invalid")),
    _rec("multiplicationLayer", lambda: lg.multiplicationLayer(2), [image(3, 2, 2), image(3, 2, 2)],
         _T2 + "test_multiplication_with_matlab_expansion",
         (lambda: lg.multiplicationLayer(0),
          "multiplicationLayer: option 'NumInputs' = 0 is invalid: NumInputs must be a positive integer")),
    _rec("crop2dLayer", lambda: lg.crop2dLayer([2, 1]), [image(5, 6, 2), image(3, 4, 1)], _T2 + "test_crop2d",
         (lambda: lg.crop2dLayer("middle"),
          "crop2dLayer: option 'Location' = 'middle' is invalid: Input should be 'centercrop'")),
    _rec("maxPooling1dLayer", lambda: lg.maxPooling1dLayer(3, Stride=2, Padding="same"), [sequence(3, 7)],
         _T3 + "test_1d_pooling_windows",
         (lambda: lg.maxPooling1dLayer(0),
          "maxPooling1dLayer: option 'PoolSize' = 0 is invalid: PoolSize must be a positive integer")),
    _rec("averagePooling1dLayer", lambda: lg.averagePooling1dLayer(3, Stride=2, Padding=1, PaddingValue="mean"),
         [sequence(2, 8)], _T3 + "test_1d_pooling_windows",
         (lambda: lg.averagePooling1dLayer(3, PaddingValue="max"),
          "averagePooling1dLayer: option 'PaddingValue' = 'max' is invalid: PaddingValue must be 0 or 'mean'")),
    _rec("globalAveragePooling1dLayer", lambda: lg.globalAveragePooling1dLayer(), [sequence(3, 5)],
         _T3 + "test_global_1d_pooling_drops_time_and_keeps_space", _name5(lg.globalAveragePooling1dLayer)),
    _rec("globalMaxPooling1dLayer", lambda: lg.globalMaxPooling1dLayer(), [sequence(3, 5)],
         _T3 + "test_global_1d_pooling_drops_time_and_keeps_space", _name5(lg.globalMaxPooling1dLayer)),
    _rec("groupedConvolution2dLayer", lambda: lg.groupedConvolution2dLayer([3, 2], 2, 2, Stride=[2, 1],
                                                                           Padding="same"), [image(5, 4, 4)],
         _T3 + "test_grouped_convolution_per_group",
         (lambda: lg.groupedConvolution2dLayer(3, 2, 0),
          "groupedConvolution2dLayer: option 'NumGroups' = 0 is invalid: NumGroups must be a positive integer")),
    _rec("preluLayer", lambda: lg.preluLayer(Alpha=[0.1, 0.2, 0.3]), [image(3, 2, 3)],
         _T3 + "test_prelu_scalar_and_per_channel",
         (lambda: lg.preluLayer(Alpha="x"),
          "preluLayer: option 'Alpha' = 'x' is invalid: Alpha must be a number or one number per channel")),
    _rec("depthToSpace2dLayer", lambda: lg.depthToSpace2dLayer(2, Mode="crd"), [image(2, 3, 8)],
         _T3 + "test_depth_to_space_matches_matlab_documentation_example",
         (lambda: lg.depthToSpace2dLayer(2, Mode="xyz"),
          "depthToSpace2dLayer: option 'Mode' = 'xyz' is invalid: Input should be 'dcr' or 'crd'")),
    _rec("spaceToDepthLayer", lambda: lg.spaceToDepthLayer(2), [image(5, 4, 2)],
         _T3 + "test_crd_is_pixel_shuffle_and_space_to_depth_inverts_dcr",
         (lambda: lg.spaceToDepthLayer(0), "spaceToDepthLayer: option 'BlockSize' = 0 is invalid")),
    _rec("classificationLayer", lambda: lg.classificationLayer(), [features(4)], None,
         _name5(lg.classificationLayer)),
    _rec("regressionLayer", lambda: lg.regressionLayer(), [features(3)], None, _name5(lg.regressionLayer)),
    _rec("lstmLayer", lambda: lg.lstmLayer(4, OutputMode="last"), [sequence(3, 5)],
         _TR + "test_lstm_sequence_output_is_matlabs_equations",
         (lambda: lg.lstmLayer(0),
          "lstmLayer: option 'NumHiddenUnits' = 0 is invalid: NumHiddenUnits must be a positive integer"),
         (lambda: lg.lstmLayer(4, OutputMode="all"),
          "lstmLayer: option 'OutputMode' = 'all' is invalid: Input should be 'sequence' or 'last'")),
    _rec("gruLayer", lambda: lg.gruLayer(4, ResetGateMode="recurrent-bias-after-multiplication"), [sequence(3, 5)],
         _TR + "test_gru_reset_gate_modes_are_matlabs_equations",
         (lambda: lg.gruLayer(4, ResetGateMode="foo"), "gruLayer: option 'ResetGateMode' = 'foo' is invalid")),
    _rec("bilstmLayer", lambda: lg.bilstmLayer(3), [sequence(2, 4)], _TR + "test_bilstm_is_forward_over_backward",
         (lambda: lg.bilstmLayer(0),
          "bilstmLayer: option 'NumHiddenUnits' = 0 is invalid: NumHiddenUnits must be a positive integer")),
    _rec("lstmProjectedLayer", lambda: lg.lstmProjectedLayer(4, 2, 3, OutputMode="last"), [sequence(3, 5)],
         "tests/test_recurrent_projected.py::test_lstm_projected_is_matlabs_projected_equations",
         (lambda: lg.lstmProjectedLayer(4, 0, 2),
          "lstmProjectedLayer: option 'OutputProjectorSize' = 0 is invalid: OutputProjectorSize must be a positive "
          "integer")),
    _rec("gruProjectedLayer",
         lambda: lg.gruProjectedLayer(4, 2, 3, ResetGateMode="recurrent-bias-after-multiplication"), [sequence(3, 5)],
         "tests/test_recurrent_projected.py::test_gru_projected_is_matlabs_projected_equations",
         (lambda: lg.gruProjectedLayer(4, 2, 0),
          "gruProjectedLayer: option 'InputProjectorSize' = 0 is invalid: InputProjectorSize must be a positive "
          "integer")),
    _rec("selfAttentionLayer", lambda: lg.selfAttentionLayer(2, 8, NumValueChannels=4, OutputSize=6), [sequence(5, 4)],
         _TA + "test_self_attention_matches_matlab_formula_on_sequences",
         (lambda: lg.selfAttentionLayer(0, 8),
          "selfAttentionLayer: option 'NumHeads' = 0 is invalid: NumHeads must be a positive integer")),
    _rec("attentionLayer", lambda: lg.attentionLayer(2), [sequence(4, 3), sequence(4, 5), sequence(6, 5)],
         _TA + "test_attention_layer_matches_matlab_formula_with_other_lengths_and_scale",
         (lambda: lg.attentionLayer(0),
          "attentionLayer: option 'NumHeads' = 0 is invalid: NumHeads must be a positive integer")),
    _rec("indexing1dLayer", lambda: lg.indexing1dLayer("last"), [sequence(3, 4)],
         _TA + "test_indexing_first_and_last_with_and_without_padding_mask",
         (lambda: lg.indexing1dLayer("middle"), "indexing1dLayer: option 'Index' = 'middle' is invalid")),
    _rec("positionEmbeddingLayer", lambda: lg.positionEmbeddingLayer(6, 10), [sequence(3, 4)],
         _TA + "test_position_embedding_looks_up_columns_of_weights",
         (lambda: lg.positionEmbeddingLayer(0, 10),
          "positionEmbeddingLayer: option 'OutputSize' = 0 is invalid: OutputSize must be a positive integer")),
    _rec("sinusoidalPositionEncodingLayer", lambda: lg.sinusoidalPositionEncodingLayer(6), [sequence(3, 4)],
         _TA + "test_sinusoidal_encoding_of_time_indices_and_of_values",
         (lambda: lg.sinusoidalPositionEncodingLayer(5),
          "sinusoidalPositionEncodingLayer: option 'OutputSize' = 5 is invalid: OutputSize must be an even")),
]

BY_NAME: dict[str, LayerRecord] = {r.name: r for r in RECORDS}
PROBES: dict[str, Probe] = {r.name: (r.make, r.inputs) for r in RECORDS}  # the probes tests/test_registry.py checks


def batch(act: Act, layer: Layer, n: int = 2) -> torch.Tensor:
    """A torch batch of size `act`; class indices 1…InputSize for an embedding."""
    if layer.type in ("embeddingLayer", "wordEmbeddingLayer"):
        words = layer.InputSize if layer.type == "embeddingLayer" else layer.NumWords
        return torch.randint(1, words + 1, act.torch_shape(n)).float()
    return torch.randn(act.torch_shape(n))


def probe_network(name: str) -> LayerGraph:
    """The probe layer (named 'probe') fed by one input layer per input ('x1', 'x2', …)."""
    make, ins = PROBES[name]
    layer = make().model_copy(update={"Name": "probe"})
    graph = LayerGraph()
    for i, a in enumerate(ins):
        if a.fmt == "CT":
            source = lg.sequenceInputLayer(a.channels, MinLength=a.time, Name=f"x{i + 1}")
        else:
            size = list(a.size) if a.is_image else a.size[0]
            source = (lg.imageInputLayer if a.is_image else lg.featureInputLayer)(size, Name=f"x{i + 1}")
        graph = lg.addLayers(graph, source)
    graph = lg.addLayers(graph, layer)
    for i, port in enumerate(layer.input_names):
        graph = lg.connectLayers(graph, f"x{i + 1}", f"probe/{port}")
    return graph
