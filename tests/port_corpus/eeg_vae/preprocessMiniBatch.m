function X = preprocessMiniBatch(dataX)

    % Concatenate.
    X = cat(4,dataX{:});

end