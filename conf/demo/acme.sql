-- ACME Corporation: rows of FieldServiceDB_ACME on acme-sql.database.windows.net.
-- Load after fieldservice_schema.sql into a fresh database: the IDENTITY values
-- referenced below (CustomerId, SiteId, UserId) start at 1 there.
-- PasswordHash holds crypt(3) hashes only; the demo passwords are in README.md.
INSERT INTO Customers (Name, Email, Phone, City, Country, CreatedAt)
VALUES
    (N'ACME Rocket Supply', N'rockets@acme.example', N'+1-555-0141', N'Phoenix', N'United States', '2024-01-11 09:00:00'),
    (N'ACME Anvil Works', N'anvils@acme.example', N'+1-555-0142', N'Tucson', N'United States', '2024-02-12 09:00:00'),
    (N'Müller GmbH (ACME Europe)', N'service@mueller-acme.example', N'+1-555-0143', N'München', N'Germany', '2024-03-13 09:00:00');
GO

INSERT INTO Sites (CustomerId, Name, Address, Latitude, Longitude)
VALUES
    (1, N'ACME Rocket Supply Headquarters', N'14 Main Street, Phoenix', 40.2500, -100.5000),
    (1, N'ACME Rocket Supply Warehouse', N'24 Main Street, Phoenix', 40.5000, -101.0000),
    (2, N'ACME Anvil Works Headquarters', N'34 Main Street, Tucson', 40.7500, -101.5000),
    (2, N'ACME Anvil Works Warehouse', N'44 Main Street, Tucson', 41.0000, -102.0000),
    (3, N'Müller GmbH (ACME Europe) Headquarters', N'54 Main Street, München', 41.2500, -102.5000),
    (3, N'Müller GmbH (ACME Europe) Warehouse', N'64 Main Street, München', 41.5000, -103.0000);
GO

INSERT INTO Users (Username, DisplayName, PasswordHash, Role, IsActive)
VALUES
    (N'john@acme.com', N'John Smith', N'$2b$12$dT1lnc.nijlbbPl1vA7UXeKPJgF/EBVHOnqPrWF2qnKf/BpiIDJ3W', N'admin', 1),
    (N'jane@acme.com', N'Jane Doe', N'$y$j9T$3pwpbDc.5V5y6t6uuTb6A1$USOTUX1uDvGflt5Xz93csPRW4NWYSo8Xe6bsTpGMyl3', N'technician', 1),
    (N'former@acme.com', N'Former Employee', N'$6$ZyybdeE5EYdL5BDL$dKQZcbIxhM/yidokkSqIgdd.E04g6OrN4V9MBqJoblAMnygqOkJLYPPMl012cBuWARfJCwBtgSCBxZ.NaaQFu0', N'technician', 0);
GO

INSERT INTO Tickets (SiteId, Title, Description, Status, Priority, AssignedTo, CreatedAt, UpdatedAt)
VALUES
    (1, N'ACME: HVAC unit not cooling', N'Compressor cycles every few minutes. (ACME site 1)', N'InProgress', 3, 2, '2024-05-01 08:07:00', '2024-06-01 16:30:00'),
    (1, N'ACME: Badge reader offline', N'Reader at the loading dock shows a red light. (ACME site 1)', N'Resolved', 4, 3, '2024-05-02 08:14:00', '2024-06-02 16:30:00'),
    (1, N'ACME: Quarterly fire extinguisher check', NULL, N'Closed', 5, 1, '2024-05-03 08:21:00', '2024-06-03 16:30:00'),
    (2, N'ACME: Badge reader offline', N'Reader at the loading dock shows a red light. (ACME site 2)', N'Resolved', 5, 3, '2024-05-04 08:28:00', '2024-06-04 16:30:00'),
    (2, N'ACME: Quarterly fire extinguisher check', NULL, N'Closed', 1, 1, '2024-05-05 08:35:00', '2024-06-05 16:30:00'),
    (3, N'ACME: Quarterly fire extinguisher check', NULL, N'Closed', 2, 1, '2024-05-06 08:42:00', '2024-06-06 16:30:00'),
    (3, N'ACME: Backup generator test', N'Run the generator under load for 30 minutes. (ACME site 3)', N'Open', 3, NULL, '2024-05-07 08:49:00', NULL),
    (3, N'ACME: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (ACME site 3)', N'InProgress', 4, 3, '2024-05-08 08:56:00', '2024-06-08 16:30:00'),
    (4, N'ACME: Backup generator test', N'Run the generator under load for 30 minutes. (ACME site 4)', N'Open', 4, NULL, '2024-05-09 08:03:00', NULL),
    (4, N'ACME: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (ACME site 4)', N'InProgress', 5, 3, '2024-05-10 08:10:00', '2024-06-10 16:30:00'),
    (5, N'ACME: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (ACME site 5)', N'InProgress', 1, 3, '2024-05-11 08:17:00', '2024-06-11 16:30:00'),
    (5, N'ACME: HVAC unit not cooling', N'Compressor cycles every few minutes. (ACME site 5)', N'Resolved', 2, 1, '2024-05-12 08:24:00', '2024-06-12 16:30:00'),
    (5, N'ACME: Badge reader offline', N'Reader at the loading dock shows a red light. (ACME site 5)', N'Closed', 3, 2, '2024-05-13 08:31:00', '2024-06-13 16:30:00'),
    (6, N'ACME: HVAC unit not cooling', N'Compressor cycles every few minutes. (ACME site 6)', N'Resolved', 3, 1, '2024-05-14 08:38:00', '2024-06-14 16:30:00'),
    (6, N'ACME: Badge reader offline', N'Reader at the loading dock shows a red light. (ACME site 6)', N'Closed', 4, 2, '2024-05-15 08:45:00', '2024-06-15 16:30:00');
GO

INSERT INTO Appointments (AppointmentId, TicketId, ScheduledFor, ArrivalWindow, VisitDate, CalloutFee, PartsCost, Notes)
VALUES
    ('3F2504E0-4F89-11D3-9A0C-0305E82C3301', 1, '2024-06-03 09:00:00 -07:00', '02:00:00', '2024-06-03', 149.00, 1234.5678, 'Compressor relay — bring spare (€ price list)'),
    ('7C9E6679-7425-40DE-944B-E07FC1F90AE7', 2, '2024-06-04 14:30:00 -07:00', '01:00:00', '2024-06-04', 89.50, NULL, 'Badge reader firmware');
GO
