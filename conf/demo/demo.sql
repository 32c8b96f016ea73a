-- Demo Company: rows of FieldServiceDB_Demo on customer-portal-sql-server.
-- Load after fieldservice_schema.sql into a fresh database: the IDENTITY values
-- referenced below (CustomerId, SiteId, UserId) start at 1 there.
-- PasswordHash holds crypt(3) hashes only; the demo passwords are in README.md.
INSERT INTO Customers (Name, Email, Phone, City, Country, CreatedAt)
VALUES
    (N'Demo Coffee Roasters', N'hello@democoffee.example', N'+1-555-0141', N'Portland', N'United States', '2024-01-11 09:00:00'),
    (N'Demo Hotel Group', N'facilities@demohotels.example', N'+1-555-0142', N'Denver', N'United States', '2024-02-12 09:00:00'),
    (N'Demo Café Crème Paris', N'contact@cafedemo.example', N'+1-555-0143', N'Paris', N'France', '2024-03-13 09:00:00');
GO

INSERT INTO Sites (CustomerId, Name, Address, Latitude, Longitude)
VALUES
    (1, N'Demo Coffee Roasters Headquarters', N'14 Main Street, Portland', 40.2500, -100.5000),
    (1, N'Demo Coffee Roasters Warehouse', N'24 Main Street, Portland', 40.5000, -101.0000),
    (2, N'Demo Hotel Group Headquarters', N'34 Main Street, Denver', 40.7500, -101.5000),
    (2, N'Demo Hotel Group Warehouse', N'44 Main Street, Denver', 41.0000, -102.0000),
    (3, N'Demo Café Crème Paris Headquarters', N'54 Main Street, Paris', 41.2500, -102.5000),
    (3, N'Demo Café Crème Paris Warehouse', N'64 Main Street, Paris', 41.5000, -103.0000);
GO

INSERT INTO Users (Username, DisplayName, PasswordHash, Role, IsActive)
VALUES
    (N'demo@demo.com', N'Demo Admin', N'$y$j9T$eJxTDrDYzaytaPfV0u7Ls0$9snahMmBZq0ch8CvRL8Tc/0I0R6E0TDVzrXg9oc4L/B', N'admin', 1),
    (N'sales@demo.com', N'Sam Sales', N'$2b$12$ACu08jy9Geitq7u9f3s9x.XbjoMXJLGsQ85vsPRv8oEdVcTZNFVmu', N'dispatcher', 1);
GO

INSERT INTO Tickets (SiteId, Title, Description, Status, Priority, AssignedTo, CreatedAt, UpdatedAt)
VALUES
    (1, N'Demo: HVAC unit not cooling', N'Compressor cycles every few minutes. (Demo site 1)', N'InProgress', 3, 2, '2024-05-01 08:07:00', '2024-06-01 16:30:00'),
    (1, N'Demo: Badge reader offline', N'Reader at the loading dock shows a red light. (Demo site 1)', N'Resolved', 4, 1, '2024-05-02 08:14:00', '2024-06-02 16:30:00'),
    (1, N'Demo: Quarterly fire extinguisher check', NULL, N'Closed', 5, 2, '2024-05-03 08:21:00', '2024-06-03 16:30:00'),
    (2, N'Demo: Badge reader offline', N'Reader at the loading dock shows a red light. (Demo site 2)', N'Resolved', 5, 1, '2024-05-04 08:28:00', '2024-06-04 16:30:00'),
    (2, N'Demo: Quarterly fire extinguisher check', NULL, N'Closed', 1, 2, '2024-05-05 08:35:00', '2024-06-05 16:30:00'),
    (3, N'Demo: Quarterly fire extinguisher check', NULL, N'Closed', 2, 2, '2024-05-06 08:42:00', '2024-06-06 16:30:00'),
    (3, N'Demo: Backup generator test', N'Run the generator under load for 30 minutes. (Demo site 3)', N'Open', 3, NULL, '2024-05-07 08:49:00', NULL),
    (3, N'Demo: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (Demo site 3)', N'InProgress', 4, 2, '2024-05-08 08:56:00', '2024-06-08 16:30:00'),
    (4, N'Demo: Backup generator test', N'Run the generator under load for 30 minutes. (Demo site 4)', N'Open', 4, NULL, '2024-05-09 08:03:00', NULL),
    (4, N'Demo: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (Demo site 4)', N'InProgress', 5, 2, '2024-05-10 08:10:00', '2024-06-10 16:30:00'),
    (5, N'Demo: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (Demo site 5)', N'InProgress', 1, 2, '2024-05-11 08:17:00', '2024-06-11 16:30:00'),
    (5, N'Demo: HVAC unit not cooling', N'Compressor cycles every few minutes. (Demo site 5)', N'Resolved', 2, 1, '2024-05-12 08:24:00', '2024-06-12 16:30:00'),
    (5, N'Demo: Badge reader offline', N'Reader at the loading dock shows a red light. (Demo site 5)', N'Closed', 3, 2, '2024-05-13 08:31:00', '2024-06-13 16:30:00'),
    (6, N'Demo: HVAC unit not cooling', N'Compressor cycles every few minutes. (Demo site 6)', N'Resolved', 3, 1, '2024-05-14 08:38:00', '2024-06-14 16:30:00'),
    (6, N'Demo: Badge reader offline', N'Reader at the loading dock shows a red light. (Demo site 6)', N'Closed', 4, 2, '2024-05-15 08:45:00', '2024-06-15 16:30:00');
GO
