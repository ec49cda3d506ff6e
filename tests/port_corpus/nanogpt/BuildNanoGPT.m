openExample("matlab/AnalyzeTextDataExample",SupportingFile="sonnets.txt",WorkDir=pwd);
rawData = fileread("sonnets.txt");
tokenizer = nanogpt.CharacterTokenizer(rawData);
data = tokenizer.char2tok(rawData);
validationFraction = 0.1;
splitIdx = floor(numel(data)*(1-validationFraction));
dataTrain = data(1:splitIdx);
dataValidation = data(splitIdx+1:end);
subsequenceLength = 8;
dsTrain = nanogpt.SequenceForecastingDatastore(dataTrain, subsequenceLength, tokenizer.VocabSize);
dsValidation = nanogpt.SequenceForecastingDatastore(dataValidation, subsequenceLength, tokenizer.VocabSize);
tbl = dsTrain.preview();
tokenizer.tok2char(tbl.predictors)
tokenizer.tok2char(tbl.responses)
miniBatchSize = 128;
mbqTrain = minibatchqueue(dsTrain, ...
    MinibatchSize=miniBatchSize, ...
    MiniBatchFcn=@(X,T) preprocessMinibatch(X,T), ...
    MiniBatchFormat={'BTC', 'BTC'});
mbqValidation = minibatchqueue(dsValidation, ...
    MinibatchSize=miniBatchSize, ...
    MiniBatchFcn=@(X,T) preprocessMinibatch(X,T), ...
    MiniBatchFormat={'BTC', 'BTC'});
bigramNet = dlnetwork( ...
    [ ...
    sequenceInputLayer(1), ...
    wordEmbeddingLayer(tokenizer.VocabSize, tokenizer.VocabSize), ...
    softmaxLayer()]);
[X,T] = mbqTrain.next();
loss = dlfeval(@nanogpt.modelLoss, bigramNet, X, T)
expectedRandomLoss = -log(1/tokenizer.VocabSize)
numNewChars = 100;
dsValidation.MiniBatchSize = 1;
tbl = dsValidation.preview();
context = tbl.predictors;
predictFromModel(bigramNet, context, numNewChars, tokenizer)
numIterations = 2000;
validationFrequency = 100;
numValidationIters = 20;
learnRate = 1e-2;

bigramNet = nanogpt.train(bigramNet, mbqTrain, mbqValidation, ...
    LearnRate=learnRate, ...
    NumIterations=numIterations, ...
    ValidationFrequency=validationFrequency, ...
    NumValidationIters=numValidationIters);
numNewChars = 500;
dsValidation.MiniBatchSize = 1;
tbl = dsValidation.preview();
context = tbl.predictors;
disp(predictFromModel(bigramNet, context, numNewChars, tokenizer))
outputSize = tokenizer.VocabSize;
numKeyChannels = 32;

layers = [
    functionLayer(@(x,y) nanogpt.batchmtimes(x,"none",y,"transpose"),Name="mtimes_KQ")
    functionLayer(@(x) x/sqrt(numKeyChannels), Name="scale")];

% Add a causal mask to prevent the network "cheating" by looking ahead
layers = [layers
    functionLayer(@(x) nanogpt.applyCausalMask(x),Name="mask")];

layers = [layers
    softmaxLayer
    functionLayer(@(x,y) nanogpt.batchmtimes(x,"none",y,"none"),Name="mtimes_KQV")
    fullyConnectedLayer(outputSize,Name="fc_out")];

attentionNet = dlnetwork(layers,Initialize=false);

% Add the keys, queries and values
queryLayer = fullyConnectedLayer(numKeyChannels,Name="fc_queries");
keyLayer = fullyConnectedLayer(numKeyChannels,Name="fc_keys");
valueLayer = fullyConnectedLayer(numKeyChannels,Name="fc_values");
attentionNet = addLayers(attentionNet,queryLayer);
attentionNet = addLayers(attentionNet,keyLayer);
attentionNet = addLayers(attentionNet,valueLayer);
% Connect them up
attentionNet = connectLayers(attentionNet,"fc_queries","mtimes_KQ/in1");
attentionNet = connectLayers(attentionNet,"fc_keys","mtimes_KQ/in2");
attentionNet = connectLayers(attentionNet,"fc_values","mtimes_KQV/in2");
plot(attentionNet)
numChannels = 1;
embeddingDimension = 32;
inLayers = [sequenceInputLayer(numChannels,Name="input"), ...
    wordEmbeddingLayer(embeddingDimension,tokenizer.VocabSize), ...
    additionLayer(2, Name="emb_add"), ...
    fullyConnectedLayer(tokenizer.VocabSize, Name="fc_in"), ...
];
attentionNet = addLayers(attentionNet,inLayers);
attentionNet = connectLayers(attentionNet,"fc_in","fc_queries");
attentionNet = connectLayers(attentionNet,"fc_in","fc_keys");
attentionNet = connectLayers(attentionNet,"fc_in","fc_values");
attentionNet = addLayers(attentionNet,softmaxLayer(Name="soft_out"));
attentionNet = connectLayers(attentionNet,"fc_out","soft_out");

plot(attentionNet)
attentionNet = attentionNet.addLayers(positionEmbeddingLayer(embeddingDimension, subsequenceLength, Name="posembed"));
attentionNet = attentionNet.connectLayers("input", "posembed");
attentionNet = attentionNet.connectLayers("posembed", "emb_add/in2");
attentionNet = attentionNet.initialize();

plot(attentionNet)
analyzeNetwork(attentionNet)
numIterations = 5000;
validationFrequency = 250;
numValidationIters = 20;
learnRate = 1e-3;

attentionNet = nanogpt.train(attentionNet, mbqTrain, mbqValidation, ...
    LearnRate=learnRate, ...
    NumIterations=numIterations, ...
    ValidationFrequency=validationFrequency, ...
    NumValidationIters=numValidationIters);
numNewChars = 500;
dsValidation.MiniBatchSize = 1;
tbl = dsValidation.preview();
context = tbl.predictors;
disp(predictFromModel(attentionNet, context, numNewChars, tokenizer))
numChannels = 1;
embeddingDimension = 32;
numHeads = 4;
numKeyChannels = embeddingDimension;

multiHeadAttentionNet = dlnetwork([ ...
    sequenceInputLayer(numChannels, Name="input"), ...
    wordEmbeddingLayer(embeddingDimension,tokenizer.VocabSize), ...
    additionLayer(2, Name="emb_add"), ...
    fullyConnectedLayer(tokenizer.VocabSize), ...
    selfAttentionLayer(numHeads, numKeyChannels, AttentionMask="causal"), ...
    softmaxLayer], Initialize=false);
multiHeadAttentionNet = multiHeadAttentionNet.addLayers(positionEmbeddingLayer(embeddingDimension, subsequenceLength, Name="posembed"));
multiHeadAttentionNet = multiHeadAttentionNet.connectLayers("input", "posembed");
multiHeadAttentionNet = multiHeadAttentionNet.connectLayers("posembed", "emb_add/in2");
multiHeadAttentionNet = multiHeadAttentionNet.initialize();
numIterations = 5000;
validationFrequency = 250;
numValidationIters = 20;
learnRate = 1e-3;

multiHeadAttentionNet = nanogpt.train(multiHeadAttentionNet, mbqTrain, mbqValidation, ...
    LearnRate=learnRate, ...
    NumIterations=numIterations, ...
    ValidationFrequency=validationFrequency, ...
    NumValidationIters=numValidationIters);
numNewChars = 500;
dsValidation.MiniBatchSize = 1;
tbl = dsValidation.preview();
context = tbl.predictors;
disp(predictFromModel(multiHeadAttentionNet, context, numNewChars, tokenizer))
multiHeadAttentionNet2 = dlnetwork([ ...
    sequenceInputLayer(numChannels, Name="input"), ...
    wordEmbeddingLayer(embeddingDimension,tokenizer.VocabSize), ...
    additionLayer(2, Name="emb_add"), ...
    fullyConnectedLayer(tokenizer.VocabSize), ...
    selfAttentionLayer(numHeads, numKeyChannels, AttentionMask="causal"), ...
    fullyConnectedLayer(tokenizer.VocabSize), ...
    reluLayer, ...
    softmaxLayer], Initialize=false);
multiHeadAttentionNet2 = multiHeadAttentionNet2.addLayers(positionEmbeddingLayer(embeddingDimension, subsequenceLength, Name="posembed"));
multiHeadAttentionNet2 = multiHeadAttentionNet2.connectLayers("input", "posembed");
multiHeadAttentionNet2 = multiHeadAttentionNet2.connectLayers("posembed", "emb_add/in2");
multiHeadAttentionNet2 = multiHeadAttentionNet2.initialize();

multiHeadAttentionNet2 = nanogpt.train(multiHeadAttentionNet2, mbqTrain, mbqValidation, ...
    LearnRate=learnRate, ...
    NumIterations=numIterations, ...
    ValidationFrequency=validationFrequency, ...
    NumValidationIters=numValidationIters);

tbl = dsValidation.preview();
context = tbl.predictors;
disp(predictFromModel(multiHeadAttentionNet2, context, numNewChars, tokenizer))
deeperNet = dlnetwork([ ...
    sequenceInputLayer(numChannels, Name="input"), ...
    wordEmbeddingLayer(embeddingDimension,tokenizer.VocabSize), ...
    additionLayer(2, Name="emb_add"), ...
    fullyConnectedLayer(tokenizer.VocabSize, Name="emb_fc")], Initialize=false);
deeperNet = deeperNet.addLayers(positionEmbeddingLayer(embeddingDimension, subsequenceLength, Name="posembed"));
deeperNet = deeperNet.connectLayers("input", "posembed");
deeperNet = deeperNet.connectLayers("posembed", "emb_add/in2");
lastLayerName = "emb_fc";

numAttnBlocks = 3;
for ii = 1:numAttnBlocks
    attnBlock = attentionBlock(numHeads, numKeyChannels, tokenizer.VocabSize, ii);
    deeperNet = deeperNet.addLayers(attnBlock);
    deeperNet = deeperNet.connectLayers(lastLayerName, "attn_sa_"+ii);
    % Create skip connections
    deeperNet = deeperNet.connectLayers(lastLayerName, "attn_add1"+ii+"/in2");
    deeperNet = deeperNet.connectLayers("attn_norm1_"+ii, "attn_add2"+ii+"/in2");
    lastLayerName = "attn_norm2_"+ii;
end

deeperNet = deeperNet.addLayers([geluLayer(Name="last_gelu"), softmaxLayer]);
deeperNet = deeperNet.connectLayers(lastLayerName, "last_gelu");
deeperNet = deeperNet.initialize();
numIterations = 10000;
validationFrequency = 500;
deeperNet = nanogpt.train(deeperNet, mbqTrain, mbqValidation, ...
    LearnRate=learnRate, ...
    NumIterations=numIterations, ... 
    ValidationFrequency=validationFrequency, ...
    NumValidationIters=numValidationIters);


tbl = dsValidation.preview();
context = tbl.predictors;
disp(predictFromModel(deeperNet, context, numNewChars, tokenizer))
embeddingDimension = 384;
numKeyChannels = 384;
numHeads = 6;
dropout = 0.2;
numAttnBlocks = 6;

deepestNet = dlnetwork([ ...
    sequenceInputLayer(numChannels, Name="input"), ...
    wordEmbeddingLayer(embeddingDimension,tokenizer.VocabSize), ...
    additionLayer(2, Name="emb_add"), ...
    fullyConnectedLayer(tokenizer.VocabSize, Name="emb_fc")], Initialize=false);
deepestNet = deepestNet.addLayers(positionEmbeddingLayer(embeddingDimension, subsequenceLength, Name="posembed"));
deepestNet = deepestNet.connectLayers("input", "posembed");
deepestNet = deepestNet.connectLayers("posembed", "emb_add/in2");
lastLayerName = "emb_fc";

for ii = 1:numAttnBlocks
    attnBlock = attentionBlock(numHeads, numKeyChannels, tokenizer.VocabSize, ii, Dropout=dropout);
    deepestNet = deepestNet.addLayers(attnBlock);
    deepestNet = deepestNet.connectLayers(lastLayerName, "attn_sa_"+ii);
    % Create skip connections
    deepestNet = deepestNet.connectLayers(lastLayerName, "attn_add1"+ii+"/in2");
    deepestNet = deepestNet.connectLayers("attn_norm1_"+ii, "attn_add2"+ii+"/in2");
    lastLayerName = "attn_norm2_"+ii;
end

deepestNet = deepestNet.addLayers([geluLayer(Name="last_gelu"), softmaxLayer]);
deepestNet = deepestNet.connectLayers(lastLayerName, "last_gelu");
deepestNet = deepestNet.initialize();
numIterations = 30000;
validationFrequency = 500;
numValidationIters = 50;
learnRate = 3e-4;
deepestNet = nanogpt.train(deepestNet, mbqTrain, mbqValidation, ...
    LearnRate=learnRate, ...
    NumIterations=numIterations, ... 
    ValidationFrequency=validationFrequency, ...
    NumValidationIters=numValidationIters);

numNewChars = 1000;
tbl = dsValidation.preview();
context = tbl.predictors;
disp(predictFromModel(deeperNet, context, numNewChars, tokenizer))
function [X,T] = preprocessMinibatch(dataX, dataT)
X = cat(1, dataX{:});

T = cat(1, dataT{:});
T = onehotencode(T, 3);
end

function newChars = predictFromModel(net, context, numChars, tokenizer)
currentContext = context;
numBatches = size(context, 1);
newChars = repmat('a', [numBatches numChars]);
for ii = 1:numChars
    prediction = net.predict(currentContext,InputDataFormats="BTC",OutputDataFormats="CBT"); % CBT dlarray

    lastPrediction = prediction(:,:,end); % 1BT dlarray
    predictedToken = sampleFromLogits(lastPrediction); % 1B1 categorical
    currentContext = cat(2, currentContext(:,2:end), predictedToken);

    nextToken = squeeze(predictedToken); %B1 double
    nextChar = tokenizer.tok2char(nextToken);
    newChars(:,ii) = nextChar;
end
end

function token = sampleFromLogits(logits)
% Given a vector of probabilities, sample a token with the probability
% weight given by the elements of that vector

population = 1:size(logits,1);
numBatches = size(logits,2);
token = zeros(1,numBatches);
for ii = 1:numBatches
    token(:,ii) = randsample(population, 1, true, gather(logits(:,ii)));
end
end

function layers = attentionBlock(numHeads, numKeyChannels, vocabSize, index, opts)
arguments
    numHeads
    numKeyChannels
    vocabSize
    index
    opts.Dropout = 0
end
layers = [...
    selfAttentionLayer(numHeads, numKeyChannels, AttentionMask="causal", Name="attn_sa_"+index), ...
    dropoutLayer(opts.Dropout, Name="attn_drop1_"+index), ...
    additionLayer(2, Name="attn_add1"+index), ...
    layerNormalizationLayer(Name="attn_norm1_"+index), ...
    fullyConnectedLayer(4*vocabSize, Name="attn_fc_"+index), ...
    geluLayer(Name="attn_act_"+index), ...
    dropoutLayer(opts.Dropout, Name="attn_drop2_"+index), ...
    fullyConnectedLayer(vocabSize), ...
    additionLayer(2, Name="attn_add2"+index), ...
    layerNormalizationLayer(Name="attn_norm2_"+index)];
end

