clear
clc
warning off
load transformer_demo.mat data varNames
plot(data, "dates", varNames)
legend(varNames, 'Location','Northwest')
title("Average Daily Price of Stocks")
ylabel("Price")
xlabel("Time")
nTest = sum(year(data.dates) >= (year(data.dates(end))-2));
nTrain = height(data) - (nTest);
idxTrain = (1:nTrain)';
idxTest = (nTrain+1:height(data))';
[x1, mu1, sigma1] = standardizeByCol(data(idxTrain, :));
x2 = (data(idxTest, :) - repmat(mu1,nTest,1)) ./ repmat(sigma1,nTest,1);
xNorm = [x1; x2];
windowSize = 30;
nrows = size(xNorm,1) - windowSize;
features = cell(nrows, 1);

for row = 1:nrows
    features{row} = xNorm(row:windowSize+row-1,:).Variables';
end
response = xNorm(windowSize+1:end,:).Variables;
nFeatures = size(xNorm,2);
xTest = features(end-nTest+1:end,:);
yTest = response(end-nTest+1:end,:);

xTrain = features(1:end-nTest,:);
yTrain = response(1:end-nTest,:);
numChannels = 3;
maxPosition = 256;
numHeads = 4;
numKeyChannels = numHeads*32;

layers = [ 
    sequenceInputLayer(numChannels,Name="input")
    positionEmbeddingLayer(numChannels,maxPosition,Name="pos-emb");
    additionLayer(2, Name="add")
    selfAttentionLayer(numHeads,numKeyChannels,'AttentionMask','causal')
    selfAttentionLayer(numHeads,numKeyChannels)
    indexing1dLayer("last")
    fullyConnectedLayer(numChannels)
    regressionLayer];

lgraph = layerGraph(layers);
lgraph = connectLayers(lgraph,"input","add/in2");
maxEpochs = 100;
miniBatchSize = 32;
learningRate = 0.001;
solver = 'adam';
shuffle = 'every-epoch';
gradientThreshold = 10;
executionEnvironment = "auto"; % chooses local GPU if available, otherwise CPU

options = trainingOptions(solver, ...
    'Plots','training-progress', ...
    'MaxEpochs', maxEpochs, ...
    'MiniBatchSize', miniBatchSize, ...
    'Shuffle', shuffle, ...
    'InitialLearnRate', learningRate, ...
    'GradientThreshold', gradientThreshold, ...
    'ExecutionEnvironment', executionEnvironment);
train = false;

if train
    net = trainNetwork(xTrain, yTrain, lgraph, options);
else
    load transformer_demo.mat net
end
yPredTrain = predict(net, xTrain);
yPredTest = predict(net, xTest);
sigma = sigma1.Variables;
mu = mu1.Variables;

predictTrain = yPredTrain.*sigma + mu;
actualTrain = yTrain.*sigma + mu;
predictTest = yPredTest.*sigma + mu;
actualTest = yTest.*sigma + mu;
plotPrediction(actualTrain, predictTrain, actualTest, predictTest, data, windowSize, varNames)
RMSE_Train = sqrt(mean((actualTrain - predictTrain).^2))
RMSE_Test = sqrt(mean((actualTest - predictTest).^2))
percent_RMSE_Train = RMSE_Train ./ mean(actualTrain)
percent_RMSE_Test = RMSE_Test ./ mean(actualTest)
signalTimeTable = makeSignalTimeTable(data, nTest, predictTest);
pricesTimeTable = makePricesTimeTable(data, nTest, actualTest, varNames);

riskFreeRate = 0.01;
tradingCosts = 0.0001;
LongStrategy = backtestStrategy('LongOnly',@LongOnlyRebalanceFcn, ...
    'TransactionCosts',tradingCosts, ...
    'LookbackWindow',1);

LongShortStrategy = backtestStrategy('LongShort',@LongShortRebalanceFcn, ...
    'TransactionCosts',tradingCosts, ...
    'LookbackWindow',1);

BestBetStrategy = backtestStrategy('BestBet',@BestBetRebalanceFcn, ...
    'TransactionCosts',tradingCosts, ...
    'LookbackWindow',1);

equalWeightFcn = @(current_weights,prices,signal) ones(size(current_weights)) / numel(current_weights);
EqualWeightStrategy = backtestStrategy('EqualWeight',equalWeightFcn, ...
    'TransactionCosts',tradingCosts, ...
    'LookbackWindow',0);
strategies = [LongStrategy LongShortStrategy BestBetStrategy EqualWeightStrategy];

bt = backtestEngine(strategies, 'RiskFreeRate', riskFreeRate);
bt = runBacktest(bt, pricesTimeTable, signalTimeTable);
summary(bt)
figure('Position', [1, 1, 800, 400])
equityCurve(bt)
function [data, mu, sigma] = standardizeByCol(data)
    [n, ~] = size(data);
    mu = mean(data, 1);
    sigma = std(data, 1);
    data = (data - repmat(mu,n,1)) ./ repmat(sigma,n,1);
end

function plotPrediction(actualTrain, predictTrain, actualTest, predictTest, data, windowSize, varNames)
    n = width(actualTrain);
    nTest = height(actualTest);
    train_dates = data(windowSize+1:end-nTest, :).dates;
    test_dates = data(end-nTest+1:end, :).dates;

    figure('Position', [1, 1, 1000, 400])
    t = tiledlayout(2,n);

    for i=1:n
        nexttile
        plot(train_dates, actualTrain(:, i));
        hold on
        plot(train_dates, predictTrain(:, i));
        hold off
        title(varNames(i))
        if i==1
            ylabel('Train','FontWeight','bold')
        end
    end
    
    for i=1:n
        nexttile
        plot(test_dates, actualTest(:, i));
        hold on
        plot(test_dates, predictTest(:, i));
        hold off
        if i==1
            ylabel('Test','FontWeight','bold')
        end
    end

    xlabel(t, "Date")
    ylabel(t, "Price")

    lg = legend(["Actual Price","Predicted Price"]);
    lg.Location = 'bestoutside';
end

function signal_timetable = makeSignalTimeTable(data, nTest, predictTest)
    prevDay = data(end-nTest:end-1, :);
    dates = data(end-nTest+1:end, :).dates;
    signals = predictTest - prevDay.Variables;
    signal_timetable = timetable(dates, signals);
end

function prices_timetable = makePricesTimeTable(data, nTest, actualTest, varNames)
    dates = data(end-nTest+1:end, :).dates;
    prices_timetable = timetable(dates, ...
        actualTest(:, 1), ...
        actualTest(:, 2), ...
        actualTest(:, 3), ...
        'VariableNames', varNames);
end

function new_weights = LongOnlyRebalanceFcn(current_weights, ~, signal_tt)
    signal = signal_tt.signals(end, :);
    
    if any(0 < signal)
        signal(signal < 0) = 0;
        new_weights = signal / sum(signal);
    else
        new_weights = zeros(size(current_weights));
    end
end

function new_weights = LongShortRebalanceFcn(current_weights, ~, signal_tt)
    signal = signal_tt.signals(end, :);
    abssum = sum(abs(signal));
    
    if 0 < abssum
        new_weights = signal / abssum;
    else
        new_weights = zeros(size(current_weights));
    end
end

function new_weights = BestBetRebalanceFcn(current_weights, ~, signal_tt)
    signal = signal_tt.signals(end, :);
    new_weights = zeros(size(current_weights));
    new_weights(signal == max(signal)) = 1;
end
