dataRoot = 'Orange2Apple';
dataTrainX = fullfile(dataRoot,'trainX');
dataTrainY = fullfile(dataRoot,'trainY');
dataTestX = fullfile(dataRoot,'testX');
dataTestY = fullfile(dataRoot,'testY');
imageSize = [128,128,3];

cgimdsTrain = cycleGanImageDatastore(imageSize,imageSize,dataTrainX,dataTrainY);
cgimdsTest = cycleGanImageDatastore(imageSize,imageSize,dataTestX,dataTestY);
numImagePairs = 4;
imList = [];
for i = 1:numImagePairs
    imPair = read(cgimdsTrain);
    imX = imPair.X{1};
    imY = imPair.Y{1};
    imList = cat(4,imList,imX,imY);
end

figure
montage(imList)
encoderDepth = 3;
numGeneratorFilters = 64;
numResiduals = 6;

generatorYtoX = generator(imageSize,imageSize,numGeneratorFilters,encoderDepth,numResiduals); % Generator for translating domain Y to domain X
generatorXtoY = generator(imageSize,imageSize,numGeneratorFilters,encoderDepth,numResiduals); % Generator for translating domain X to domain Y
discriminatorDepth = 4;
numDiscriminatorFilters = 64; 

discrimatorX = discriminator(imageSize,discriminatorDepth,numDiscriminatorFilters); % Discriminator for X
discriminatorY = discriminator(imageSize,discriminatorDepth,numDiscriminatorFilters); % Discriminator for Y
doTraining = true;
numEpochs = 1000;
miniBatchSize = 1;
cgimdsTrain.MiniBatchSize = miniBatchSize;
learnRate = 0.0002;               
gradDecay = 0.5;
sqGradDecay = 0.999;
executionEnvironment = "auto";
saveFrequency = 100;
% initialize Adam parameters for generators
avgGradGeneratorX = [];
avgSqGradGeneratorX = [];
avgGradGeneratorY = [];
avgSqGradGeneratorY = [];

% initialize Adam parameters for discriminators
avgGradDiscriminatorX = [];
avgSqGradDiscriminatorX = [];
avgGradDiscriminatorY = [];
avgSqGradDiscriminatorY = [];
lambda = 10;
f = figure;
f.Position(3) = 2*f.Position(3);
imageAxes = subplot(1,3,1);
scoreAxesX = subplot(1,3,2);
scoreAxesY = subplot(1,3,3);
lineScoreGeneratorX = animatedline(scoreAxesX,'Color',[0 0.4470 0.7410]);
lineScoreGeneratorY = animatedline(scoreAxesY,'Color',[0.8500 0.3250 0.0980]);
lineScoreDiscriminatorX = animatedline(scoreAxesX, 'Color', [0.9290 0.6940 0.1250]);
lineScoreDiscriminatorY = animatedline(scoreAxesY, 'Color', [0.4940 0.1840 0.5560]);
%legend('GeneratorX','GeneratorY','Discriminator X','Discriminator Y');
xlabel("Iteration")
ylabel("Score")
grid on
if doTraining 
    mkdir models
    iteration = 0;
    start = tic;
    
    for epoch = 1:numEpochs
        
        % Reset and shuffle training datastore
        reset(cgimdsTrain);
        cgimdsTrain = cgimdsTrain.shuffle(); 
        
        % Loop over mini-batches
        while hasdata(cgimdsTrain)
            iteration = iteration + 1;
            
            % Read mini-batch of data into table
            data = cgimdsTrain.read(); 
            
            % Ignore last partial mini-batch of epoch.
            if size(data,1) < miniBatchSize
                continue
            end
                
            % Extract batch of images from table 
            imageX = cat(4,data.X{:});
            imageY = cat(4,data.Y{:});
            
            % Convert mini-batch of data to dlarray and specify the dimension labels
            % 'SSCB' (spatial, spatial, channel, batch).
            imageX = dlarray(imageX,'SSCB');
            imageY = dlarray(imageY,'SSCB');
            
            % If training on a GPU, then convert data to gpuArray.
            if (executionEnvironment == "auto" && canUseGPU) || executionEnvironment == "gpu"
                imageX = gpuArray(imageX);
                imageY = gpuArray(imageY);
            end
            
            % Calculate the loss and gradients
            [generatorXGrad,generatorYGrad,discriminatorXGrad,discriminatorYGrad,scores,imagesOutXY,imagesOutYX] = ...
                dlfeval(@modelGradients,generatorXtoY,generatorYtoX,discrimatorX,discriminatorY,imageY,imageX,lambda);

            % Update parameters of generatorX
            [generatorYtoX.Learnables,avgGradGeneratorX,avgSqGradGeneratorX] = ...
                adamupdate(generatorYtoX.Learnables,generatorXGrad,avgGradGeneratorX,avgSqGradGeneratorX,iteration,learnRate,gradDecay,sqGradDecay);
            
            % Update parameters of generatorY
            [generatorXtoY.Learnables,avgGradGeneratorY,avgSqGradGeneratorY] = ...
                adamupdate(generatorXtoY.Learnables,generatorYGrad,avgGradGeneratorY,avgSqGradGeneratorY,iteration,learnRate,gradDecay,sqGradDecay);           
            
            % Update parameters of discriminatorX
            [discrimatorX.Learnables,avgGradDiscriminatorX,avgSqGradDiscriminatorX] = ...
                adamupdate(discrimatorX.Learnables,discriminatorXGrad,avgGradDiscriminatorX,avgSqGradDiscriminatorX,iteration,learnRate,gradDecay,sqGradDecay);
            
            % Update parameters of discriminatorY
            [discriminatorY.Learnables, avgGradDiscriminatorY, avgSqGradDiscriminatorY] = ...
                adamupdate(discriminatorY.Learnables,discriminatorYGrad,avgGradDiscriminatorY,avgSqGradDiscriminatorY,iteration,learnRate,gradDecay,sqGradDecay);
            
            % Update the scores plots
            subplot(1,3,2)
            addpoints(lineScoreGeneratorX,iteration,...
                double(gather(extractdata(scores{1}))));
            
            addpoints(lineScoreDiscriminatorX,iteration,...
                double(gather(extractdata(scores{3}))));            
            
            legend('GeneratorX','Discriminator X');
            
            subplot(1,3,3)        
            addpoints(lineScoreGeneratorY,iteration,...
                double(gather(extractdata(scores{2}))));
            
            addpoints(lineScoreDiscriminatorY,iteration,...
                double(gather(extractdata(scores{4}))));
            legend('GeneratorY','Discriminator Y');
            
           
            % Update the title with training progress information.
            D = duration(0,0,toc(start),'Format','hh:mm:ss');
            title(...
                "Epoch: " + epoch + ", " + ...
                "Iteration: " + iteration + ", " + ...
                "Elapsed: " + string(D))
           
            
            % Display the real and translated images at each iteration
            imageResultsYX = cat(2,imagesOutYX{1},imagesOutYX{2});
            imageResultsXY = cat(2,imagesOutXY{1},imagesOutXY{2});
            imageResults = extractdata(cat(1,imageResultsYX,imageResultsXY));
             
            subplot(1,3,1);
            image(imageAxes,imageResults(:,:,:,1))
            xticklabels([]);
            yticklabels([]);
            title("Real (left) and Generated (right) Images");
            
            drawnow;
        end

        % Save the model        
        if mod(epoch,saveFrequency) == 0 
            if (executionEnvironment == "auto" && canUseGPU) || executionEnvironment == "gpu"
                [generatorXtoY,generatorYtoX,discrimatorX,discriminatorY] = gather(generatorXtoY,generatorYtoX,discrimatorX,discriminatorY);
            end
            save(sprintf('models/cycleGAN_%04d.mat',epoch),'generatorXtoY','generatorYtoX','discrimatorX','discriminatorY')
        end
    end
    
else % if doTraining is false, load the trained model supplied with the repository
    load("cycleGAN_1000.mat") 
end
numTestIm = 2; 
reset(cgimdsTest); % Reset the dataset

for k = 1:numTestIm
    dataTest = read(cgimdsTest); % read the data
      
    % Extract batch of images from table 
    imageXTest = cat(4, dataTest.X{:});
    imageYTest = cat(4, dataTest.Y{:});
    
    % Convert mini-batch of data to dlarray and specify the dimension labels
    % 'SSCB' (spatial, spatial, channel, batch).
    imageXTest = dlarray(imageXTest,'SSCB');
    imageYTest = dlarray(imageYTest,'SSCB');
    
    % If running on a GPU, then convert data to gpuArray.
    if (executionEnvironment == "auto" && canUseGPU) || executionEnvironment == "gpu"
        imageXTest = gpuArray(imageXTest);
        imageYTest = gpuArray(imageYTest);
    end
    
    % Generate translated images
    generatedImageY = forward(generatorXtoY,imageXTest);
    generatedImageX = forward(generatorYtoX,imageYTest); 
    
    % Display real and generated images
    showResults(imageXTest,generatedImageY,imageYTest,generatedImageX)

end
function [generatorXGrad,generatorYGrad,discriminatorXGrad,discriminatorYGrad,scores,imagesOutXY,imagesOutYX] = ...
    modelGradients(generatorY,generatorX,discriminatorX,discriminatorY,imageY,imageX,lambda)

    % Generate transformed images from input
    imageXGenerated = forward(generatorX,imageY);
    imageYGenerated = forward(generatorY,imageX);
    
    % Calculate predictions for real data with the discriminator network
    probRealX = forward(discriminatorX,imageX);
    probRealY = forward(discriminatorY,imageY);
    
    % Calculate predictions for generated data with the discriminator network
    probGeneratedX = forward(discriminatorX,imageXGenerated);
    probGeneratedY = forward(discriminatorY,imageYGenerated);
    
    % Calculate discriminator losses for real data
    discriminatorXLossReal = lossReal(probRealX);
    discriminatorYLossReal = lossReal(probRealY);
    
    % Calculate discriminator losses for generated data
    discriminatorXLossGenerated = lossGenerated(probGeneratedX);
    discriminatorYLossGenerated = lossGenerated(probGeneratedY);
    
    % Calculate total discriminator loss for each discriminator network
    discriminatorXLossTotal = 0.5*(discriminatorXLossReal + discriminatorXLossGenerated);
    discriminatorYLossTotal = 0.5*(discriminatorYLossReal + discriminatorYLossGenerated);
   
    % Apply generator to each generated image
    cycleImageX = forward(generatorX,imageYGenerated);
    cycleImageY = forward(generatorY,imageXGenerated);
    
    % Calculate cycle consistency loss between real and generated images
    cycleLossX = cycleLoss(imageX,cycleImageX,lambda);
    cycleLossY = cycleLoss(imageY,cycleImageY,lambda);
    
    % Calculate generator loss for generated images
    generatorLossX = lossReal(probGeneratedX);
    generatorLossY = lossReal(probGeneratedY);
   
    % Calculate total generator loss for each generator network
    generatorLossTotal = generatorLossX + cycleLossY + generatorLossY + cycleLossX;
    
    % Calculate scores of generators
    generatorXScore = mean(sigmoid(probGeneratedX),"all");
    generatorYScore = mean(sigmoid(probGeneratedY),"all");
    
    % Calculate scores of discriminators
    discriminatorXScore = 0.5*mean(sigmoid(probRealX),"all") + 0.5*mean(1-sigmoid(probGeneratedX),"all");
    discriminatorYScore = 0.5*mean(sigmoid(probRealY),"all") + 0.5*mean(1-sigmoid(probGeneratedY),"all");
    
    % Combine scores into cell array
    scores = {generatorXScore, generatorYScore, discriminatorXScore, discriminatorYScore};
    
    % Calculate generator gradients
    generatorYGrad = dlgradient(generatorLossTotal,generatorY.Learnables,'RetainData',true);
    generatorXGrad = dlgradient(generatorLossTotal,generatorX.Learnables,'RetainData',true);
    
    % Calculate discriminator gradients
    discriminatorXGrad = dlgradient(discriminatorXLossTotal,discriminatorX.Learnables);
    discriminatorYGrad = dlgradient(discriminatorYLossTotal,discriminatorY.Learnables);
    
    % Return first example image of mini-batch transforming domain X into domain Y
    imagesOutXY = {imageX,imageYGenerated};
    % Return example image transforming domain X into domain Y
    imagesOutYX = {imageY,imageXGenerated};
end


function loss = lossReal(probability)
    loss = mean((probability-1).^2,'all');
end

function loss = lossGenerated(probability)
    loss = mean((probability).^2,'all');
end

function loss = cycleLoss(imageReal,imageGenerated,lamda)
    loss = mean(abs(imageReal-imageGenerated),"all")*lamda;
end
function showResults(imageXTest,generatedImageY,imageYTest,generatedImageX)

    % Generate axes for plotting real and generated images
    h1 = figure;
    h1.Position(3) = 2*h1.Position(3);
   
    for j = 1:2
        axesXY(j) = subplot(1,2,j);       
    end
    
    h2 = figure;
    h2.Position(3) = 2*h2.Position(3);
    for j = 1:2
        axesYX(j) = subplot(1,2,j);
    end    
    
    % Plot each image
    imagesc(axesXY(1),extractdata(imageXTest));
    title(axesXY(1),"Original")
    
    imagesc(axesXY(2),extractdata(generatedImageY));
    title(axesXY(2),"Generated")
    
    imagesc(axesYX(1),extractdata(imageYTest));
    title(axesYX(1),"Original")
    
    imagesc(axesYX(2),extractdata(generatedImageX));
    title(axesYX(2),"Generated")

    drawnow();
end
