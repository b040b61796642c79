import FSBCore
