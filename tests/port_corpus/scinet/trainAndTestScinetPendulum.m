close("all"); clear; clc; rng(0);
NTimes = 50;
NSamples = 100000;
NTraining = 95000;

plotDataSample = true;
NPlotDataSample = 10;

latentDimension = 3; 

beta = 1e-3; % Appear in the beta-VAE cost function definition

% Physical parameters
physicalParameters.m = 1; %[kg]
physicalParameters.A0 = 1;% [m]
physicalParameters.delta0 = 0; % [rad]
physicalParameters.kMin = 5; % [kg/s^2]
physicalParameters.kMax = 10; % [kg/s^2]
physicalParameters.bMin = 0.5; % [kg/s]
physicalParameters.bMax = 1; % [kg/s]
Tfinal.observations = 5; % maximum of observations time in seconds --> time_observations in [0, Tfinal.observations]
Tfinal.answers = 10; % maximum of answers time in seconds --> time_answers in [0, Tfinal.answers]
observations = zeros(NTimes, 1, 1, NSamples);
answers = zeros(1, 1, 1, NSamples);
questions = zeros(1, 1, 1, NSamples);
[observations(:, 1, 1, :), observationsTime, answers(1, 1, 1, :), questions(1, 1, 1, :)] = ...
    generatePendulumData(NTimes, Tfinal, physicalParameters, NSamples);

% Plot NPlot random items 
if plotDataSample
    idxPlot = randi(NSamples, 1, NPlotDataSample);
    figure; plot(observationsTime, squeeze(observations(:, 1, 1, idxPlot)));
    hold("on");
    plot(squeeze(questions(1, 1, 1, idxPlot)), squeeze(answers(1, 1, 1, idxPlot)), "ro", "MarkerSize", 3);
end

% Split training and testing data
observationsTesting = observations(:, 1, 1, NTraining+1:end);
answersTesting = answers(1, 1, 1, NTraining+1:end);
questionsTesting = questions(1, 1, 1, NTraining+1:end);
observations(:, :, :, NTraining+1:end) = [];
answers(:, :, :, NTraining+1:end) = [];
questions(:, :, :, NTraining+1:end) = [];

% Convert to dlarray in 'SSCB' format
observations = dlarray(observations, "SSCB");
observationsTesting = dlarray(observationsTesting, "SSCB");
answers = dlarray(answers, "SSCB");
answersTesting = dlarray(answersTesting, "SSCB");
questions = dlarray(questions, "SSCB");
questionsTesting = dlarray(questionsTesting, "SSCB");
layersEncoder = [imageInputLayer([NTimes, 1], "Name", "Observations", "Normalization", "none");...
                fullyConnectedLayer(500, "Name", "fc_encoder_1"); ...
                eluLayer(1, "Name", "elu_encoder_1"); ...
                fullyConnectedLayer(100, "Name", "fc_encoder_2"); ...
                eluLayer(1, "Name", "elu_encoder_2"); ...
                fullyConnectedLayer(2*latentDimension, "Name", "Latent_Representations")]; % 2*latentDimension: (mu, sigma)
netEncoder = dlnetwork(layerGraph(layersEncoder)); 

layersDecoder = [imageInputLayer([latentDimension+1, 1], "Name", "Representations_and_question", "Normalization", "none"); % latentDimension+1: z, questions
                fullyConnectedLayer(100, "Name", "fc_decoder_1"); ...
                eluLayer(1, "Name", "elu_decoder_1"); ...
                fullyConnectedLayer(100, "Name", "fc_decoder_2"); ...
                eluLayer(1, "Name", "elu_decoder_2"); ...
                fullyConnectedLayer(1, "Name", "Answer")];
netDecoder = dlnetwork(layerGraph(layersDecoder));
doTraining = true;

if ~doTraining
    % Load trained encoder, trained Decoder and latent space dimension
    load("results.mat", "netEncoder", "netDecoder", "latentDimension");
else
    miniBatchSize = 500;
    learningRate = 1e-3;
    numEpochs = 1000;
    
    trailingAvgEncoder = [];
    trailingAvgSqEncoder = [];
    trailingAvgDecoder = [];
    trailingAvgSqDecoder = [];
    gradDecay = 0.9;
    gradDecaySq = 0.99;
    
    progressLineHandle = createTrainingProgressPlot();
    
    numMiniBatches = round(NTraining / miniBatchSize);
    for ie = 1 : numEpochs
        
        for ib = 1 : numMiniBatches
            
            % Extract data corresponding to this minibatch
            theseObservations = observations(:, :, :, (ib-1)*miniBatchSize+1:ib*miniBatchSize);
            theseQuestions = questions(:, :, :, (ib-1)*miniBatchSize+1:ib*miniBatchSize);
            theseAnswers = answers(:, :, :, (ib-1)*miniBatchSize+1:ib*miniBatchSize);
            
            % Evaluate gradients and loss for this minibatch
            [gradientsEncoder, gradientsDecoder, loss] = ...
                dlfeval(@ScinetLossAndGradients, netEncoder, netDecoder, ...
                theseObservations, theseQuestions, theseAnswers, ...
                latentDimension, beta, miniBatchSize);
            loss = double(extractdata(loss));
            
            % Update iteration number for adam
            adamIteration = (ie-1)*numMiniBatches + ib;
            
            % Update encoder learnables
            [netEncoder, trailingAvgEncoder, trailingAvgSqEncoder] = ...
                adamupdate(netEncoder, gradientsEncoder, ...
                trailingAvgEncoder, trailingAvgSqEncoder, adamIteration, ...
                learningRate, gradDecay, gradDecaySq);
            
            % Update decoder learnables
            [netDecoder, trailingAvgDecoder, trailingAvgSqDecoder] = ...
                adamupdate(netDecoder, gradientsDecoder, ...
                trailingAvgDecoder, trailingAvgSqDecoder, adamIteration, ...
                learningRate, gradDecay, gradDecaySq);
    
            % Update the training loss progress plot.
            addpoints(progressLineHandle, adamIteration, log10(loss));
            drawnow;

        end
        
    end

end
NTesting = NSamples - NTraining;
predictedLatentRepresentation = forwardEncoder(netEncoder, observationsTesting);
[predictedZ, ~, ~] = sampleLatentSpace(predictedLatentRepresentation, latentDimension, NTesting);
predictedAnswers = forwardDecoder(netDecoder, predictedZ, questionsTesting);

% Jacknife plot
answersTesting = double(extractdata(answersTesting(:)));
questionsTesting = double(extractdata(questionsTesting(:)));
predictedAnswers = double(extractdata(predictedAnswers(:)));

figure
scatter(predictedAnswers, answersTesting);
ylabel("answersTesting");
xlabel("predictedAnswers");
title("Actual vs jackknife predicted");
grid("on");

figure; plot(questionsTesting, answersTesting, "bo");
hold("on");
plot(questionsTesting, predictedAnswers, "r*");
grid("on");
legend("answersTesting", "predictedAnswers");
xlabel("Time (questionsTesting)");
ylabel("Displacement")
if doTraining
    save("../results/results");
end
function [gradientsEncoder, gradientsDecoder, loss] = ...
    ScinetLossAndGradients(netEncoder, netDecoder, dlObservationsArray, dlQuestionsArray, dlAnswersArray, latentDimension, beta, miniBatchSize)

% Forward pass for encoder to predict mean and variance in the latent space
latentRepresentation = forwardEncoder(netEncoder, dlObservationsArray);

% Sampling in the latent space
[z, mu, sigma] = sampleLatentSpace(latentRepresentation, latentDimension, miniBatchSize);

% Foward pass for decoder given samples and questions
predictedAnswers = forwardDecoder(netDecoder, z, dlQuestionsArray);

% Compute first term of Beta-VAE cost: MSE
MSE = sum( (dlAnswersArray - predictedAnswers).^2, 1 );

% Compute second term of Beta-VAE cost: KL 
KL = -beta/2 * sum( log(sigma.^2) - mu.^2 - sigma.^2, 1 );

% Loss as a mean across the minibatch of the sums
loss = squeeze( mean(MSE + KL, 4) );

% Return gradients
gradientsEncoder = dlgradient(loss, netEncoder.Learnables);
gradientsDecoder = dlgradient(loss, netDecoder.Learnables);

end
function lineHandle = createTrainingProgressPlot()

% Open plot
trainingPlot = figure;
trainingPlot.Position(3) = 16/9*trainingPlot.Position(4);
trainingPlot.Visible = "on";

% Add gridded axes
trainingPlotAxes = axes("Parent", trainingPlot);
grid(trainingPlotAxes, "on");

% Add animated line
lineHandle = animatedline(trainingPlotAxes);
xlabel(trainingPlotAxes, "Iteration" );
ylabel(trainingPlotAxes, "Log10(Loss)" );
title(trainingPlotAxes, "Log10(Loss) against Iteration");

end
